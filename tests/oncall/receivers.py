"""Real receivers on 127.0.0.1 for pages: an HTTP server (Apprise json:// and ntfy://, webhooks) and
an SMTP server (aiosmtpd). Used by the tests and by bench/paging.py."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hit:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class HttpReceiver:
    """Records every POST. ``status`` (or ``statuses`` per path prefix) answers; ``hang`` seconds of
    silence before answering imitate a receiver that hangs."""

    status: int = 200
    hang: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        receiver = self
        self.lock = threading.Lock()
        self.event = threading.Condition(self.lock)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                hit = Hit(time.time(), self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.event:
                    receiver.hits.append(hit)
                    receiver.event.notify_all()
                    status, hang = receiver.status, receiver.hang
                if hang:
                    time.sleep(hang)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a burst of pages must not overflow the listen backlog

        self.server = Server(("127.0.0.1", self.port or free_port()), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        with self.event:
            while len(self.hits) < n and (left := deadline - time.monotonic()) > 0:
                self.event.wait(left)
            return list(self.hits)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """An aiosmtpd server that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        receiver = self

        class Sink:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                receiver.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Sink(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def close(self) -> None:
        self.controller.stop()
