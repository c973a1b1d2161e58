"""Benchmark: producing and verifying monthly SLA statements for 100 and 1,000 organisations of
100 tickets each.

    .venv/bin/python bench/statements.py                 # 100 and 1,000 organisations, 3 interleaved runs
    .venv/bin/python bench/statements.py --quick         # 10 and 30 organisations of 20 tickets (smoke test)
    .venv/bin/python bench/statements.py --sizes 100,1000 --tickets 100 --runs 5

For each size it builds a fresh SQLite database (migrated) with that many organisations (Basic and
Premium contracts in four zones, one billing contact each) and 100 tickets per organisation in
March 2026, whose SLA ledgers are what the ticket services write: met, answered late, breached,
solved unanswered, paused and resumed, downgraded after a miss, raised; each event's due instant
is the core's replay of the ledger up to it, each row sealed in its ticket's hash chain (the
seeding is fast because it writes the rows in bulk instead of calling the services one change at a
time; `guichet checkledger` accepts the result, and the bench checks a sample of chains).

Then, in runs interleaved between the sizes (each in its own process, so both sizes share the
machine's state), it times `guichet statements --month 2026-03` (`produce_all`: read, derive,
sign, store, owe the mail in the outbox — everything but sending it) and the verification of every
statement produced (`guichet.sla.verify.verify` on the stored JSON: signature, chains, every due
instant and outcome, the attainment table). It prints the medians, the machine's load, and the
bars: producing 1,000 organisations costs at most 11x producing 100 (linear), and verifying a
statement costs less than producing it. `--strict` exits 1 when a bar fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-03"
ZONES = [
    ("Europe/Paris", "FR", "worldwide"),
    ("America/New_York", "US", "north-america"),
    ("Asia/Tokyo", "JP", "worldwide"),
    ("America/Los_Angeles", "US", "north-america"),
]


def setup(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["GUICHET_VAR_DIR"] = str(directory)
    os.environ["GUICHET_TASKS"] = "sqlite"
    os.environ["GUICHET_TASKS_FILE"] = str(directory / "tasks.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- Seeding (child process) -------------------------------------------------------------------------


def _ledger(rng: random.Random, contract, submitted):
    """One ticket's core events, as the services would record them."""
    import datetime as dt

    from guichet import sla

    def terms(priority: str) -> sla.Terms:
        return contract.terms(priority)

    roll = rng.random()
    priority = rng.choice(["P1", "P2", "P3", "P4"])
    if roll < 0.05:
        priority = "P1"
    elif roll < 0.10:
        priority = "P4"
    t = terms(priority)
    events = [sla.Event.applied(submitted, t, contract_id=contract.pk, contract_reference=contract.reference)]
    due = sla.replay(events).due_at
    assert due is not None
    cal = t.calendar.calendar()
    if roll < 0.05:  # P1 missed, downgraded to P2 after the miss, answered
        events.append(sla.Event.fact(sla.EventKind.BREACHED, due))
        down_at = due + dt.timedelta(minutes=30)
        events.append(
            sla.Event.priority_change(sla.EventKind.DOWNGRADED, down_at, "P2", terms("P2"), **{"from": "P1"})
        )
        events.append(
            sla.Event.fact(sla.EventKind.FULFILLED, down_at + dt.timedelta(minutes=20), channel="email")
        )
    elif roll < 0.10:  # P4 raised to P2 an hour in, answered
        raised = submitted + dt.timedelta(hours=1)
        events.append(
            sla.Event.priority_change(sla.EventKind.RAISED, raised, "P2", terms("P2"), **{"from": "P4"})
        )
        events.append(
            sla.Event.fact(sla.EventKind.FULFILLED, raised + dt.timedelta(minutes=25), channel="email")
        )
    elif roll < 0.65:  # answered in time
        events.append(
            sla.Event.fact(sla.EventKind.FULFILLED, cal.add(submitted, t.target * rng.uniform(0.05, 0.95)))
        )
    elif roll < 0.75:  # answered late
        events.append(sla.Event.fact(sla.EventKind.BREACHED, due))
        events.append(
            sla.Event.fact(sla.EventKind.FULFILLED, due + dt.timedelta(minutes=rng.randint(5, 600)))
        )
    elif roll < 0.82:  # never answered
        events.append(sla.Event.fact(sla.EventKind.BREACHED, due))
    elif roll < 0.90:  # solved without a response
        events.append(
            sla.Event.fact(sla.EventKind.PAUSED, cal.add(submitted, t.target * 0.2), status="solved")
        )
    else:  # waiting on a third party for a while, then answered
        paused = cal.add(submitted, t.target * 0.3)
        resumed = paused + dt.timedelta(hours=rng.randint(1, 30))
        events.append(sla.Event.fact(sla.EventKind.PAUSED, paused, status="waiting_third_party"))
        events.append(sla.Event.fact(sla.EventKind.RESUMED, resumed, status="open"))
        state = sla.replay(events)
        answer = (
            state.clock.binding.calendar.add(resumed, state.remaining * 0.5) if state.remaining else resumed
        )
        events.append(sla.Event.fact(sla.EventKind.FULFILLED, answer, channel="portal"))
    return events


def _jsonable(value):
    import datetime as dt

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def seed(organisations: int, tickets: int) -> dict[str, float]:
    import datetime as dt

    from django.core.management import call_command
    from django.db import transaction

    from guichet import sla
    from guichet.accounts.models import Organisation, Person, Role
    from guichet.contracts.models import Contract
    from guichet.tickets import ledger
    from guichet.tickets.models import SlaEvent, Ticket

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(12)
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    n_events = 0
    for o in range(organisations):
        zone, country, region = ZONES[o % len(ZONES)]
        with transaction.atomic():
            org = Organisation.objects.create(name=f"Org {o:05d}")
            contract = Contract.objects.create(
                organisation=org,
                reference=f"Q-{o:05d}",
                plan="premium" if o % 3 == 0 else "basic",
                region=region,
                time_zone=zone,
                holiday_country=country,
                valid_from=dt.date(2025, 1, 1),
            )
            person = Person(
                username=f"billing{o}",
                email=f"billing{o}@example.test",
                role=Role.CUSTOMER,
                organisation=org,
                is_billing_contact=True,
                language="fr" if o % 2 else "en",
                time_zone=zone,
            )
            person.set_unusable_password()
            person.save()
            plans = []
            for _i in range(tickets):
                submitted = start + dt.timedelta(seconds=rng.randint(86400, 29 * 86400))
                events = _ledger(rng, contract, submitted)
                states = list(sla.replay_steps(events))
                plans.append((submitted, events, states))
            rows = Ticket.objects.bulk_create(
                [
                    Ticket(
                        organisation=org,
                        contract=contract,
                        requester=person,
                        subject=f"Request {i}",
                        channel="portal",
                        original_priority=events[0].priority.value,
                        impact_confirmed=True,
                        submitted_at=submitted,
                        updated_at=submitted,
                        status="open",
                        **ledger.cached_fields(states[-1]),
                    )
                    for i, (submitted, events, states) in enumerate(plans)
                ]
            )
            sla_rows = []
            for ticket, (_submitted, events, states) in zip(rows, plans, strict=True):
                previous = None
                for seq, (event, state) in enumerate(zip(events, states, strict=True), start=1):
                    row = SlaEvent(
                        ticket_id=ticket.pk,
                        seq=seq,
                        kind=event.kind.value,
                        at=event.at,
                        recorded_at=event.at + dt.timedelta(seconds=2),
                        data=_jsonable(event.to_record()),
                        due_at=state.due_at,
                        dedup_key="breached" if event.kind is sla.EventKind.BREACHED else "",
                    )
                    ledger.seal(row, previous)
                    sla_rows.append(row)
                    previous = row
            SlaEvent.objects.bulk_create(sla_rows, batch_size=2000)
            n_events += len(sla_rows)
    # A sample of the chains, re-derived from the database as checkledger does.
    for ticket in Ticket.objects.order_by("?")[:50]:
        assert ledger.check_chain(ticket.sla_events.order_by("seq")) is None
    return {"seconds": time.perf_counter() - started, "events": n_events}


def measure() -> dict[str, float]:
    import datetime as dt

    from django.db import transaction

    from guichet.outbox.models import Delivery
    from guichet.sla.verify import verify
    from guichet.statements.models import Statement
    from guichet.statements.production import produce_all

    with transaction.atomic():  # a clean slate: every run produces every statement
        Delivery.objects.filter(kind="statement.mail").delete()
        Statement.objects.all().delete()
    as_of = dt.datetime(2026, 4, 1, 14, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    counts = produce_all(MONTH, as_of=as_of)
    produce_s = time.perf_counter() - t0
    assert counts["failed"] == 0 and counts["produced"] == counts["organisations"], counts
    # Verification as a customer runs it: one file at a time (read from the database outside the
    # timed part; the JSON parsing is timed, it is part of checking a file).
    verify_s = 0.0
    statements = tickets = 0
    rows = Statement.objects.filter(month=MONTH).values_list("document", flat=True)
    for text in rows.iterator(chunk_size=20):
        t0 = time.perf_counter()
        document = json.loads(text)
        problem = verify(document)
        verify_s += time.perf_counter() - t0
        assert problem is None, problem
        statements += 1
        tickets += len(document["tickets"])
    assert statements == counts["organisations"]
    return {"produce_s": produce_s, "verify_s": verify_s, "statements": statements, "tickets": tickets}


def child(argv: list[str]) -> None:
    mode, directory = argv[0], Path(argv[1])
    setup(directory)
    result = seed(int(argv[2]), int(argv[3])) if mode == "seed" else measure()
    print("RESULT " + json.dumps(result))


# --- Driver ------------------------------------------------------------------------------------------


def run_child(*args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        sys.exit(f"child {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=None, help="organisation counts, comma-separated (default 100,1000)"
    )
    parser.add_argument("--tickets", type=int, default=None, help="tickets per organisation (default 100)")
    parser.add_argument("--runs", type=int, default=None, help="interleaved runs (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one run (smoke test)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar fails")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in (args.sizes or ("10,30" if args.quick else "100,1000")).split(",")]
    tickets = args.tickets or (20 if args.quick else 100)
    runs = args.runs or (1 if args.quick else 3)
    base = Path(tempfile.mkdtemp(prefix="guichet-statements-bench-"))
    print(
        f"Statements benchmark: {', '.join(f'{n:,}' for n in sizes)} organisations x {tickets} tickets, "
        f"month {MONTH}, SQLite, {runs} interleaved run(s); Python {sys.version.split()[0]}"
    )
    print(f"before: {load()}")
    try:
        dirs = {}
        for n in sizes:
            dirs[n] = base / f"orgs-{n}"
            dirs[n].mkdir()
            seeded = run_child("seed", str(dirs[n]), str(n), str(tickets))
            print(
                f"seeded {n:>6,} organisations: {n * tickets:,} tickets,"
                f" {seeded['events']:,.0f} ledger events in {seeded['seconds']:.1f} s"
            )
        results: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
        for r in range(runs):
            for n in sizes:
                results[n].append(run_child("measure", str(dirs[n])))
                m = results[n][-1]
                print(
                    f"run {r + 1}: {n:>6,} organisations: produce {m['produce_s']:8.2f} s,"
                    f" verify {m['verify_s']:8.2f} s  ({load()})"
                )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(
        f"{'organisations':>14} {'produce (s)':>12} {'ms/statement':>13}"
        f" {'verify (s)':>11} {'ms/statement':>13}"
    )
    med = {}
    for n in sizes:
        p = statistics.median(x["produce_s"] for x in results[n])
        v = statistics.median(x["verify_s"] for x in results[n])
        med[n] = (p, v)
        print(f"{n:>14,} {p:>12.2f} {1000 * p / n:>13.1f} {v:>11.2f} {1000 * v / n:>13.1f}")
    print()
    ok = True
    small, large = sizes[0], sizes[-1]
    ratio = med[large][0] / med[small][0]
    allowed = 1.1 * large / small
    passed = ratio <= allowed
    ok &= passed
    print(
        f"{'PASS' if passed else 'FAIL'}  linear: producing {large:,} costs at most {allowed:.0f}x producing"
        f" {small:,}: measured {ratio:.2f}x"
    )
    for n in sizes:
        p, v = med[n]
        passed = v < p
        ok &= passed
        print(
            f"{'PASS' if passed else 'FAIL'}  verifying costs less than producing ({n:,} organisations):"
            f" {1000 * v / n:.1f} ms vs {1000 * p / n:.1f} ms per statement ({v / p:.2f}x)"
        )
    print(f"after: {load()}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        sys.exit(main())
