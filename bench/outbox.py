"""Benchmark: how fast the side effects of committed writes reach the outside, and how the outbox
recovers when the task queue comes back.

    .venv/bin/python bench/outbox.py                 # default: 20 s with the queue, 15 s without
    .venv/bin/python bench/outbox.py --up 10 --down 8 --clients 2

It runs a whole desk like the fault tests (tests/faults/stack.py): its own PostgreSQL cluster and
redis-server (no persistence), two gunicorn web processes, two task workers (one with the
scheduler), a real SMTP receiver and HTTP receiver, and API clients opening Premium P2 tickets and
replying to them. Every write owes one mail (the acknowledgement of the ticket, or the reply sent
to the customer) and one webhook. The **delivery delay** of a mail is the time from the client's
201 to the mail's arrival at the SMTP receiver. Three phases:

1. the queue up: the relay is woken through Redis at once;
2. Redis killed: the writes go on (201s), the workers' poll (`GUICHET_OUTBOX_POLL_SECONDS`, 5 s by
   default) delivers on its own;
3. Redis back (empty): the **recovery time** is from the restart until every side effect owed is
   delivered (the backlog empty and every mail arrived).

It prints p50/p99 of the delivery delay per phase, the recovery time and the invariants' check
(nothing 5xx stored, exactly one mail and one webhook per committed write). Last line:
`delivery p50 <s> s, p99 <s> s with the queue up; recovery <s> s after the queue came back`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def delays(desk, since: float, until: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Delivery delay of every mail owed by a write answered 201 between `since` and `until`."""
    with desk.sink.lock:
        arrivals = list(zip(desk.sink.arrived_at, desk.sink.messages, strict=True))
    first_arrival: dict[str, float] = {}
    for at, message in arrivals:
        text = f"{message['Subject']}\n{message.get_body(('plain',)).get_content()}"
        for token in _tokens(text):
            first_arrival.setdefault(token, at)
    out = []
    for outcome in desk.outcomes:
        if outcome.status == 201 and since <= outcome.answered_at < until and outcome.token in first_arrival:
            out.append(max(0.0, first_arrival[outcome.token] - outcome.answered_at))
    return out


def _tokens(text: str) -> list[str]:
    import re

    return re.findall(r"\b[0-9a-f]{32}\b", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--up", type=float, default=20, help="seconds of load with the queue up")
    parser.add_argument("--down", type=float, default=15, help="seconds of load with Redis down")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.05, help="each client's pause between writes")
    parser.add_argument("--poll", default="5", help="GUICHET_OUTBOX_POLL_SECONDS of the workers")
    args = parser.parse_args(argv)

    os.environ.setdefault("GUICHET_VAR_DIR", tempfile.mkdtemp(prefix="guichet-bench-var-"))
    import django

    django.setup()  # the stack's helpers import the test suite's modules

    from tests.faults.servers import fault_servers_unavailable
    from tests.faults.stack import stack

    reason = fault_servers_unavailable()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="guichet-bench-outbox-") as tmp,
        stack(Path(tmp), GUICHET_OUTBOX_POLL_SECONDS=args.poll) as desk,
    ):
        desk.start_web()
        desk.start_worker("scheduler")
        desk.start_worker("worker-2", periodic=False)
        time.sleep(3)  # workers connected

        t0 = time.time()
        desk.drive(seconds=args.up, clients=args.clients, pause=args.pause)
        t1 = time.time()
        desk.wait_drained(timeout=120)
        time.sleep(1)
        up = delays(desk, t0, t1)

        desk.redis.stop()
        t2 = time.time()
        desk.drive(seconds=args.down, clients=args.clients, pause=args.pause)
        t3 = time.time()
        backlog_at_restart = desk.backlog()
        desk.redis.start()
        restarted = time.time()
        owed = [o for o in desk.outcomes if o.status == 201]
        deadline = restarted + 180
        while time.time() < deadline:
            if desk.backlog() == 0 and len(delays(desk, 0, float("inf"))) >= len(owed):
                break
            time.sleep(0.05)
        recovery = time.time() - restarted
        down = delays(desk, t2, t3)
        report = desk.check()
        load = os.getloadavg()

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<24} {len(values):>5} mails  p50 {percentile(values, 0.5):6.2f} s  "
            f"p99 {percentile(values, 0.99):6.2f} s  max {max(values, default=float('nan')):6.2f} s"
        )

    print(f"workers poll the outbox every {args.poll} s; load average {load[0]:.2f} {load[1]:.2f} (2 cores)")
    print(line("queue up", up))
    print(line("Redis down", down))
    print(f"backlog when Redis came back: {backlog_at_restart}; all delivered {recovery:.2f} s later")
    print(f"check: {report}")
    if up:
        print(f"mean delay with the queue up {statistics.mean(up):.3f} s")
    print(
        f"delivery p50 {percentile(up, 0.5):.2f} s, p99 {percentile(up, 0.99):.2f} s with the queue up; "
        f"recovery {recovery:.2f} s after the queue came back"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
