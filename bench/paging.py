"""Paging, end to end, with real processes: gunicorn serving the API, one `guichet worker`, the task
storage on SQLite and then on Redis (a redis-server of its own on a free port), a local HTTP
receiver standing for the on-call agent's phone (a signed webhook contact method).

1. Arrival to page: Premium P1 tickets created through the API (POST /api/v1/tickets), one every
   0.2 s; the time from sending the request to the page reaching the receiver.
2. Escalation lateness: those tickets' escalations step every few seconds (primary → secondary →
   team lead); each page's arrival against its step's instant (the instant the page carries).
3. A storm: 1,000 open P1s whose next step falls due at the same instant; every page's arrival
   against that instant.

Prints the figures per storage, then exactly one last line:
`arrival-to-page p99 <seconds> s, escalation lateness p99 <seconds> s` (the worse storage).

    .venv/bin/python bench/paging.py                    # 50 API tickets, a storm of 1,000
    .venv/bin/python bench/paging.py --api 10 --storm 100 --storages sqlite   # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The stack's helpers live beside the tests (tests/conftest.py needs Django set up to import); this
# process only sends requests and receives pages: its settings point at nothing it uses.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
os.environ.setdefault("GUICHET_VAR_DIR", tempfile.mkdtemp(prefix="guichet-paging-bench-"))
os.environ.setdefault("GUICHET_TASKS", "immediate")
import django  # noqa: E402

django.setup()

from tests.oncall.receivers import HttpReceiver  # noqa: E402
from tests.oncall.stack import Stack, wait_until  # noqa: E402


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def describe(label: str, values: list[float]) -> str:
    return (
        f"  {label}: n={len(values)} median {statistics.median(values):.3f} s, p99 {p99(values):.3f} s,"
        f" max {max(values):.3f} s"
    )


def post_ticket(base: str, token: str, i: int) -> int:
    body = json.dumps(
        {
            "subject": f"Production down {i}",
            "body": "Nothing works.",
            "priority": "P1",
            "impact_confirmed": True,
            "contact_phone": "+33 1 23 45 67 89",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/tickets",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.loads(response.read())["id"])


def pages(receiver: HttpReceiver, path: str, tickets: set[int]) -> dict[int, float]:
    """{ticket: arrival} of the pages to `path` about these tickets."""
    out = {}
    for hit in list(receiver.hits):
        if hit.path == path:
            data = hit.json()["data"]
            if data["ticket"] in tickets:
                out[data["ticket"]] = hit.at
    return out


def wait_pages(receiver: HttpReceiver, path: str, tickets: set[int], timeout: float) -> dict[int, float]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pages(receiver, path, tickets)
        if len(got) >= len(tickets):
            return got
        time.sleep(0.2)
    got = pages(receiver, path, tickets)
    print(f"  ! only {len(got)}/{len(tickets)} pages to {path} within {timeout:.0f} s", flush=True)
    return got


def step_lateness(receiver: HttpReceiver, tickets: set[int], paths: tuple[str, ...]) -> list[float]:
    out = []
    for hit in list(receiver.hits):
        data = hit.json()["data"]
        if hit.path in paths and data["ticket"] in tickets and data.get("step_at"):
            out.append(hit.at - dt.datetime.fromisoformat(data["step_at"]).timestamp())
    return out


def run(storage: str, n_api: int, n_storm: int, step: int) -> tuple[list[float], list[float]]:
    print(f"== worker on {storage} task storage", flush=True)
    receiver = HttpReceiver()
    stack = Stack(Path(tempfile.mkdtemp(prefix=f"guichet-paging-{storage}-")), storage)
    try:
        token = stack.world("setup", receiver.url, step)["token"]
        base = stack.web(workers=2)
        stack.worker()
        post_ticket(base, token, -1)  # warm the web workers
        receiver.wait_for(1, timeout=30)

        sent: dict[int, float] = {}
        for i in range(n_api):
            t0 = time.time()
            sent[post_ticket(base, token, i)] = t0
            time.sleep(0.2)
        got = wait_pages(receiver, "/alice", set(sent), timeout=60)
        arrival = [got[t] - sent[t] for t in got]
        # Their escalations: Bob after `step` seconds, Carol after twice that, then nothing.
        wait_pages(receiver, "/carol", set(sent), timeout=3 * step + 30)
        escalation = step_lateness(receiver, set(sent), ("/bob", "/carol"))
        print(describe("arrival to page (API → receiver)", arrival), flush=True)
        print(describe("escalation steps (page vs its instant)", escalation), flush=True)

        if n_storm:
            stack.world("levels", 3600)  # the storm's own timeouts: only the retimed step fires
            before = {h.json()["data"]["ticket"] for h in receiver.hits}
            made = time.time()
            storm = set(stack.world("tickets", n_storm)["tickets"])
            wait_pages(receiver, "/alice", storm, timeout=300)
            print(f"  storm: {n_storm} P1s opened and paged in {time.time() - made:.1f} s", flush=True)
            at = time.time() + 5
            stack.world("retime", at)
            wait_until(at)
            got = wait_pages(receiver, "/bob", storm, timeout=120)
            storm_late = [got[t] - at for t in got]
            print(describe(f"{n_storm} P1s escalating at once (page vs the instant)", storm_late), flush=True)
            escalation += storm_late
            assert not (storm & before)
        return arrival, escalation
    finally:
        stack.close()
        receiver.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", type=int, default=50, help="tickets created through the API")
    parser.add_argument("--storm", type=int, default=1000, help="open P1s escalating at once (0: none)")
    parser.add_argument("--step", type=int, default=5, help="seconds between escalation levels")
    parser.add_argument("--storages", default="sqlite,redis")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    arrivals: list[float] = []
    escalations: list[float] = []
    worst_arrival = worst_escalation = 0.0
    for storage in args.storages.split(","):
        arrival, escalation = run(storage, args.api, args.storm, args.step)
        arrivals += arrival
        escalations += escalation
        worst_arrival = max(worst_arrival, p99(arrival))
        worst_escalation = max(worst_escalation, p99(escalation))
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    print(f"arrival-to-page p99 {worst_arrival:.2f} s, escalation lateness p99 {worst_escalation:.2f} s")


if __name__ == "__main__":
    main()
