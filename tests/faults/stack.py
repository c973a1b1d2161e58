"""A whole desk for fault tests: its own PostgreSQL cluster and Redis, gunicorn web processes and
task workers as child processes, a real SMTP receiver and a real HTTP receiver in the test process,
API clients driving it, and the checks that tell what was committed and what was delivered.
"""

from __future__ import annotations

import http.client
import json
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from tests.faults.servers import PgCluster, RedisServer
from tests.ops.procs import Child, child_env, guichet, port_open, wait_for
from tests.receivers import HttpReceiver, SmtpSink, free_port, http_receiver, smtp_sink

PROVISION = """
import json
from guichet.accounts.models import ApiToken, Organisation, Person
from guichet.contracts.models import Contract
from guichet.outbox.models import WebhookEndpoint
import datetime as dt
org = Organisation.objects.create(name="Faulty Co", email_domain="faulty.test")
Contract.objects.create(organisation=org, reference="Q-F", plan="premium", time_zone="Europe/Paris",
    holiday_country="FR", valid_from=dt.date(2020, 1, 1))
customer = Person.objects.create_user("customer", email="customer@faulty.test", role="customer",
    organisation=org, phone="+33 1 23 45 67 89")
agent = Person.objects.create_user("agent", email="agent@vendor.test", role="agent")
WebhookEndpoint.objects.create(name="receiver", url="{webhook}",
    events=["ticket.opened", "ticket.message_published"])
print(json.dumps({"customer": ApiToken.issue(customer, "faults")[1],
                  "agent": ApiToken.issue(agent, "faults")[1]}))
"""


@dataclass
class Outcome:
    kind: str  # "open" or "reply"
    token: str  # unique text in the subject or body: find the row afterwards
    status: int  # HTTP status, or 0 for a connection error
    ticket_id: int | None = None
    answered_at: float = field(default_factory=time.time)  # when the client had its answer


@dataclass
class Stack:
    tmp: Path
    pg: PgCluster
    redis: RedisServer
    sink: SmtpSink
    smtp_port: int
    receiver: HttpReceiver
    env: dict[str, str] = field(default_factory=dict)
    web_port: int = 0
    children: dict[str, Child] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- processes --------------------------------------------------------------------------------

    def configure(self, **overrides: str) -> None:
        settings = {
            "DATABASE_URL": self.pg.url,
            "GUICHET_TASKS": "redis",
            "REDIS_URL": self.redis.url,
            "GUICHET_TASKS_NAME": f"faults-{uuid.uuid4().hex[:8]}",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_TIMEOUT": "10",
            "GUICHET_OUTBOX_POLL_SECONDS": "1",
            "GUICHET_OUTBOX_LEASE_SECONDS": "10",
            "GUICHET_MAIL_AUTO_LIMIT": "100000",
            "LOG_LEVEL": "INFO",
        }
        self.env = child_env(self.tmp, **{**settings, **overrides})
        done = guichet("migrate", "--noinput", "-v0", env=self.env)
        assert done.returncode == 0, done.stderr
        done = guichet("shell", "-c", PROVISION.replace("{webhook}", self.receiver.url), env=self.env)
        assert done.returncode == 0, done.stderr
        self.tokens = json.loads(done.stdout.strip().splitlines()[-1])

    def start_web(self, workers: int = 2) -> None:
        self.web_port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "guichet.wsgi:application", "--bind",
                f"127.0.0.1:{self.web_port}", "--workers", str(workers), "--no-control-socket",
                "--timeout", "30"]  # fmt: skip
        web = self.children["web"] = Child(argv, self.env, self.tmp / "web.log")
        wait_for(lambda: port_open(self.web_port), 40, "gunicorn", web)

    def start_worker(self, name: str, *, periodic: bool = True) -> Child:
        args = ["worker", "--threads", "2"] + ([] if periodic else ["--no-periodic"])
        child = self.children[name] = Child.guichet(*args, env=self.env, log=self.tmp / f"{name}.log")
        return child

    def kill(self, name: str) -> None:
        self.children[name].kill_group()

    def stop_all(self) -> None:
        for child in self.children.values():
            with suppress(Exception):
                child.stop(signal.SIGTERM, timeout=10)
            child.kill_group()

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{c.output()[-3000:]}" for n, c in self.children.items())

    # --- clients ----------------------------------------------------------------------------------

    def _request(
        self, conn: http.client.HTTPConnection, path: str, body: dict[str, Any], who: str
    ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body)
        headers = {"Authorization": f"Bearer {self.tokens[who]}", "Content-Type": "application/json"}
        conn.request("POST", f"/api/v1{path}", body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {}
        return response.status, payload

    def open_ticket(self, conn: http.client.HTTPConnection) -> Outcome:
        token = uuid.uuid4().hex
        body = {"subject": f"Broken {token}", "body": "It fails.", "priority": "P2", "impact_confirmed": True}
        try:
            status, payload = self._request(conn, "/tickets", body, "customer")
        except (OSError, http.client.HTTPException):
            return Outcome("open", token, 0)
        return Outcome("open", token, status, payload.get("id") if status == 201 else None)

    def reply(self, conn: http.client.HTTPConnection, ticket_id: int) -> Outcome:
        token = uuid.uuid4().hex
        try:
            status, _ = self._request(
                conn, f"/tickets/{ticket_id}/messages", {"body": f"Fixed? {token}"}, "agent"
            )
        except (OSError, http.client.HTTPException):
            return Outcome("reply", token, 0, ticket_id)
        return Outcome("reply", token, status, ticket_id)

    def drive(self, seconds: float, clients: int = 4, pause: float = 0.0) -> None:
        """Customers open P2 tickets and the agent replies to them, for `seconds` (each client
        waits `pause` seconds between its requests)."""
        stop = time.monotonic() + seconds

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=30)
            opened: list[int] = []
            n = 0
            while time.monotonic() < stop:
                if n % 2 == 0 or not opened:
                    outcome = self.open_ticket(conn)
                    if outcome.ticket_id:
                        opened.append(outcome.ticket_id)
                else:
                    outcome = self.reply(conn, opened[n % len(opened)])
                with self.lock:
                    self.outcomes.append(outcome)
                if outcome.status in (0, 500, 502, 503):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=30)
                    time.sleep(0.1)
                n += 1
                time.sleep(pause)
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # --- what happened ----------------------------------------------------------------------------

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.pg.url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(sql, params).fetchall()

    def backlog(self) -> int:
        return int(self.query("SELECT count(*) FROM outbox_delivery WHERE status = 'pending'")[0][0])

    def wait_drained(self, timeout: float = 90) -> float:
        """Seconds until every owed side effect is delivered (or fail with the logs)."""
        start = time.monotonic()
        deadline = start + timeout
        while time.monotonic() < deadline:
            with suppress(psycopg.Error):
                if self.backlog() == 0:
                    return time.monotonic() - start
            time.sleep(0.25)
        raise AssertionError(f"outbox not drained in {timeout}s: {self.backlog()} pending\n{self.logs()}")

    def check(self) -> dict[str, int]:
        """The invariants after a fault: a 5xx (or a dropped connection) stored nothing it answered,
        a 201 stored its write; every committed write has exactly one side effect of each kind
        at the receivers (distinct Message-IDs, distinct webhook delivery ids)."""
        tickets = {
            row[1].split(" ", 1)[1]: row[0]
            for row in self.query("SELECT id, subject FROM tickets_ticket WHERE subject LIKE 'Broken %%'")
        }
        replies = {
            row[1].rsplit(" ", 1)[1]: (row[0], row[2])
            for row in self.query(
                "SELECT id, body, ticket_id FROM tickets_message"
                " WHERE kind = 'reply' AND body LIKE 'Fixed? %%'"
            )
        }
        counts = Counter(o.status for o in self.outcomes)
        for outcome in self.outcomes:
            stored = outcome.token in (tickets if outcome.kind == "open" else replies)
            if outcome.status == 201:
                assert stored, f"{outcome} answered 201 but is not stored"
            elif outcome.status >= 500:
                assert not stored, f"{outcome} answered {outcome.status} but is stored"
        # Mail: one distinct Message-ID per owed mail, and each recorded one arrived.
        recorded = self.query(
            "SELECT o.message_id, o.kind, o.ticket_id, o.ticket_message_id FROM mail_outboundmail o"
        )
        arrived = Counter(self.sink.message_ids())
        acks = Counter(t for _mid, kind, t, _m in recorded if kind == "ack")
        notices = Counter(m for _mid, kind, _t, m in recorded if kind == "reply")
        assert set(acks) == set(tickets.values()), "a committed ticket without exactly one acknowledgement"
        assert all(n == 1 for n in acks.values())
        reply_ids = {mid for mid, _t in replies.values()}
        assert set(notices) == reply_ids and all(n == 1 for n in notices.values())
        missing = [mid for mid, *_ in recorded if arrived[mid] == 0]
        assert not missing, (
            f"{len(missing)} recorded mail(s) never reached the SMTP receiver, e.g. {missing[:3]};"
            f" received e.g. {list(arrived)[:3]}"
        )
        # Webhooks: one delivery id per committed ticket (opened) and per reply (message published).
        deliveries: dict[str, set[int]] = {"ticket.opened": set(), "ticket.message_published": set()}
        seen_ids: set[str] = set()
        for hit in self.receiver.received:
            body = json.loads(hit.body)
            if body["id"] in seen_ids:
                continue  # a repeat: the receiver drops it by its delivery id
            seen_ids.add(body["id"])
            key = (
                body["data"]["ticket_id"] if body["event"] == "ticket.opened" else body["data"]["message_id"]
            )
            assert key not in deliveries[body["event"]], f"two distinct deliveries for {body}"
            deliveries[body["event"]].add(key)
        assert deliveries["ticket.opened"] == set(tickets.values())
        assert deliveries["ticket.message_published"] == reply_ids
        return {
            "answered_201": counts[201],
            "answered_5xx": sum(n for s, n in counts.items() if s >= 500),
            "connection_errors": counts[0],
            "tickets": len(tickets),
            "replies": len(replies),
            "mails": len(recorded),
            "mail_repeats": sum(arrived.values()) - len(arrived),
            "webhook_repeats": len(self.receiver.received) - len(seen_ids),
        }


@contextmanager
def stack(tmp: Path, *, smtp_delay: float = 0.0, **settings: str) -> Iterator[Stack]:
    pg, redis_server = PgCluster(), RedisServer()
    with smtp_sink(delay=smtp_delay) as (sink, smtp_port), http_receiver() as receiver:
        desk = Stack(tmp, pg, redis_server, sink, smtp_port, receiver)
        try:
            pg.init()
            redis_server.start()
            desk.configure(**settings)
            yield desk
        finally:
            desk.stop_all()
            redis_server.destroy()
            pg.destroy()
