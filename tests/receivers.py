"""Real receivers the tests start on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP server, both
keeping what they receive, in a form a test can count and check.

They run in threads of the test process, or — for fault tests whose workers are other processes —
are reached over TCP like any mail server or webhook endpoint.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass
class SmtpSink:
    """Keeps every message it accepts; `delay` slows each DATA (a slow mail server)."""

    delay: float = 0.0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)  # time.time() of each message
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.arrived_at.append(time.time())
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]).strip().strip("<>") for m in self.messages]


@contextmanager
def smtp_sink(port: int | None = None, delay: float = 0.0) -> Iterator[tuple[SmtpSink, int]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(delay=delay)
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Keeps every POST; `responses` (status codes) are answered in order, then `default_status`;
    `hang` seconds of silence before answering simulate an endpoint that hangs."""

    default_status: int = 200
    responses: list[int] = field(default_factory=list)
    hang: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_status(self) -> int:
        with self.lock:
            return self.responses.pop(0) if self.responses else self.default_status


@contextmanager
def http_receiver(**options: object) -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(**options)  # type: ignore[arg-type]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if receiver.hang:
                time.sleep(receiver.hang)
            status = receiver.next_status()
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
