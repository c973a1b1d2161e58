"""Benchmark: one page of the ticket queue (ordered by due time) through the API over many tickets.

    .venv/bin/python bench/api_queue.py                 # 1,000,000 tickets in PostgreSQL (guichet_bench)
    .venv/bin/python bench/api_queue.py --reuse         # keep the generated database if it is complete
    .venv/bin/python bench/api_queue.py --quick         # 2,000 tickets on SQLite, a few requests (smoke)

It creates the database, migrates it, writes the tickets with COPY (PostgreSQL) or executemany
(SQLite), then times GET /api/v1/tickets pages through the Django test client (the full Django
stack: middleware, token auth, selectors, serialisation) as an agent, as a customer of the largest
organisation, and with filters, and prints median/p95 and the EXPLAIN of the main query.

The data is synthetic but shaped like a desk after three years: tickets submitted evenly over
1,095 days, the last 30 days still open, 20 % of all tickets from one large customer. SLA fields
are filled the way the services cache them (due = submission + target; no calendar arithmetic here,
which does not matter for reading).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_common as common

BAR_MS = 50.0
DB_NAME = "guichet_bench"
UTC = dt.UTC


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run on SQLite (smoke test, no bar)")
    parser.add_argument("--tickets", type=int, default=None, help="number of tickets (default 1,000,000)")
    parser.add_argument(
        "--requests", type=int, default=None, help="timed requests per scenario (default 200)"
    )
    parser.add_argument("--database", default=DB_NAME, help="PostgreSQL database to (re)create")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the database if it holds --tickets tickets"
    )
    args = parser.parse_args(argv)
    args.tickets = args.tickets or (2_000 if args.quick else 1_000_000)
    args.requests = args.requests or (5 if args.quick else 200)
    return args


# --- Data -----------------------------------------------------------------------------------------

TARGET_MINUTES = {"P1": 60, "P2": 240, "P3": 480, "P4": 960}
NOW = dt.datetime.now(UTC).replace(microsecond=0)


def build_world(n_orgs: int):
    from guichet.accounts.models import ApiToken, Organisation, Person, Role
    from guichet.contracts.models import Contract, Plan

    orgs = Organisation.objects.bulk_create(
        [Organisation(name=f"Customer {i:04d}", email_domain=f"c{i}.test") for i in range(n_orgs)]
    )
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                organisation=o,
                reference=f"Q-{o.pk}",
                plan=Plan.PREMIUM if i % 3 == 0 else Plan.BASIC,
                time_zone="Europe/Paris",
                holiday_country="FR",
                valid_from=dt.date(2020, 1, 1),
            )
            for i, o in enumerate(orgs)
        ]
    )
    customers = Person.objects.bulk_create(
        [
            Person(username=f"contact{o.pk}", role=Role.CUSTOMER, organisation=o, email=f"x@c{o.pk}.test")
            for o in orgs
        ]
    )
    agents = Person.objects.bulk_create([Person(username=f"agent{i}", role=Role.AGENT) for i in range(20)])
    agent_token = ApiToken.issue(agents[0], "bench")[1]
    big_customer_token = ApiToken.issue(customers[0], "bench")[1]
    return orgs, contracts, customers, agents, agent_token, big_customer_token


def ticket_rows(n: int, orgs, contracts, customers, agents):
    """Yield dicts of Ticket column values (by attname)."""
    rng = random.Random(42)
    span = dt.timedelta(days=1095)
    open_since = NOW - dt.timedelta(days=30)
    start = NOW - span
    n_orgs = len(orgs)
    for i in range(n):
        # 20 % for the first organisation, the rest spread evenly.
        k = 0 if rng.random() < 0.2 else rng.randrange(1, n_orgs)
        submitted = start + dt.timedelta(seconds=int(span.total_seconds() * i / n))
        priority = rng.choices(("P1", "P2", "P3", "P4"), weights=(2, 8, 60, 30))[0]
        target = dt.timedelta(minutes=TARGET_MINUTES[priority])
        due = submitted + target
        is_open = submitted >= open_since
        answered = not is_open or rng.random() < 0.5
        status = (
            rng.choice(("new", "open", "waiting_customer", "open"))
            if is_open
            else rng.choice(("solved", "closed", "closed"))
        )
        first_response = submitted + target * rng.uniform(0.1, 1.2) if answered else None
        if first_response is not None and first_response > NOW:
            first_response = None
        state = "running"
        if first_response is not None:
            state = "fulfilled" if first_response <= due else "fulfilled_late"
        elif due < NOW:
            state = "breached"
        yield {
            "organisation_id": orgs[k].pk,
            "contract_id": contracts[k].pk,
            "requester_id": customers[k].pk,
            "assignee_id": agents[rng.randrange(len(agents))].pk if status != "new" else None,
            "subject": f"Synthetic ticket {i}",
            "channel": "portal",
            "priority": priority,
            "original_priority": priority,
            "status": status,
            "impact_confirmed": priority in ("P1", "P2"),
            "submitted_at": submitted,
            "updated_at": submitted,
            "first_response_at": first_response,
            "solved_at": submitted + dt.timedelta(days=2) if status in ("solved", "closed") else None,
            "plan": contracts[k].plan,
            "sla_state": state,
            "sla_target_minutes": int(target.total_seconds() // 60),
            "sla_due_at": due,
            "sla_clock_started_at": submitted,
            "sla_breached_at": due if state in ("breached", "fulfilled_late") else None,
            "next_sla_event_at": due if state == "running" else None,
        }


def column_plan():
    """Ticket's concrete columns with a value source for each (robust to fields added later)."""
    from guichet.tickets.models import Ticket

    plan = []
    for f in Ticket._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.has_default():
            default = f.get_default()
        elif f.null:
            default = None
        else:
            default = ""
        plan.append((f.column, f.attname, default))
    return plan


def load_tickets(n: int, world, vendor: str) -> float:
    from django.db import connection

    orgs, contracts, customers, agents, *_ = world
    plan = column_plan()
    columns = [c for c, _a, _d in plan]
    started = time.perf_counter()

    def values(row: dict):
        return tuple(row.get(attname, default) for _c, attname, default in plan)

    rows = ticket_rows(n, orgs, contracts, customers, agents)
    if vendor == "postgresql":
        raw = connection.connection  # psycopg 3 connection
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f"COPY tickets_ticket ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values(row))
        raw.commit()
        with connection.cursor() as cur:
            # What autovacuum would do soon after a load: fresh statistics for the planner.
            cur.execute("ANALYZE")
    else:
        sql = f"INSERT INTO tickets_ticket ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple] = []
        with connection.cursor() as cur:
            for row in rows:
                batch.append(values(row))
                if len(batch) == 5000:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
            cur.execute("ANALYZE")
    return time.perf_counter() - started


# --- Timing ---------------------------------------------------------------------------------------


def time_requests(client, token: str, path: str, params: dict, n: int) -> tuple[dict, dict, float]:
    """Wall-clock timings, the first answer, and the median CPU time this process spent per request
    (load-independent: on a busy shared machine wall time also counts waiting for a core)."""
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get(path, params, headers=headers)
    if first.status_code != 200:
        raise SystemExit(f"{path} {params} -> {first.status_code}: {first.content[:300]!r}")
    for _ in range(3):  # warm caches
        client.get(path, params, headers=headers)
    samples, cpu = [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(path, params, headers=headers)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200
    return common.summary(samples), first.json(), statistics.median(cpu)


def ticket_queries(client, token: str, params: dict) -> list[str]:
    """The SQL of one page request that reads tickets_ticket (keys, then the page's rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/tickets", params, headers={"Authorization": f"Bearer {token}"})
    return [q["sql"] for q in ctx.captured_queries if 'FROM "tickets_ticket"' in q["sql"]]


def explain(sql: str, vendor: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join("  " + " ".join(str(c) for c in row) for row in cur.fetchall())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        url, var_dir = common.sqlite_url("queue")
        fresh = True
    else:
        var_dir = None
        fresh = not (args.reuse and common.pg_database_exists(args.database))
        url = common.recreate_pg_database(args.database) if fresh else common.pg_url(args.database)
    common.setup_django(url, var_dir)
    from django.db import connection
    from django.test import Client

    from guichet.accounts.models import ApiToken, Person
    from guichet.tickets.models import Ticket

    vendor = connection.vendor
    common.migrate()
    n_orgs = 20 if args.quick else 1000
    if not fresh and Ticket.objects.count() == args.tickets:
        agent = Person.objects.get(username="agent0")
        big = Person.objects.filter(role="customer").order_by("id").first()
        agent_token = ApiToken.issue(agent, "bench")[1]
        big_token = ApiToken.issue(big, "bench")[1]
        print(f"Reusing {args.tickets:,} tickets in {args.database}.")
    else:
        if not fresh:
            url = common.recreate_pg_database(args.database)
            common.migrate()
        world = build_world(n_orgs)
        agent_token, big_token = world[4], world[5]
        seconds = load_tickets(args.tickets, world, vendor)
        print(f"Generated {args.tickets:,} tickets ({n_orgs} organisations) on {vendor} in {seconds:.1f} s.")

    if vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # fresh planner statistics, as autovacuum keeps them
    client = Client()
    total_open = Ticket.objects.filter(
        status__in=("new", "open", "waiting_customer", "waiting_third_party")
    ).count()
    print(
        f"Tickets: {Ticket.objects.count():,}; open: {total_open:,}; requests per scenario: {args.requests}."
    )
    # The figures are wall-clock: on a shared machine, say how busy it was.
    print("Load average before timing (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    soon = (dt.datetime.now(UTC) + dt.timedelta(days=3)).isoformat()
    scenarios = [
        ("agent, all tickets, ordering=due", agent_token, {"ordering": "due", "limit": 50}),
        (
            "agent, open tickets (queue), ordering=due",
            agent_token,
            {"ordering": "due", "limit": 50, "open": "true"},
        ),
        (
            "agent, status=new&status=open, P1+P2",
            agent_token,
            {"ordering": "due", "limit": 50, "status": ["new", "open"], "priority": ["P1", "P2"]},
        ),
        (
            "agent, open, due_before now+3d",
            agent_token,
            {"ordering": "due", "limit": 50, "open": "true", "due_before": soon},
        ),
        ("customer of the largest org, ordering=due", big_token, {"ordering": "due", "limit": 50}),
        (
            "customer of the largest org, open tickets",
            big_token,
            {"ordering": "due", "limit": 50, "open": "true"},
        ),
    ]
    results = []
    for label, token, params in scenarios:
        stats, body, cpu = time_requests(client, token, "/api/v1/tickets", params, args.requests)
        # The second page through the cursor, to show keyset paging costs the same.
        page2 = None
        if body.get("next_cursor"):
            cursor_params = {**params, "cursor": body["next_cursor"]}
            page2, _body, _cpu = time_requests(
                client, token, "/api/v1/tickets", cursor_params, max(5, args.requests // 4)
            )
        results.append((label, stats, len(body["items"])))
        print(
            f"- {label}: {len(body['items'])} items, {common.fmt(stats)}; Django CPU {cpu:.2f} ms"
            + (f"; page 2 median {page2['median']:.2f} ms" if page2 else "")
        )

    for label, token, params in (scenarios[1], scenarios[4], scenarios[5]):
        queries = ticket_queries(client, token, params)
        print(f"\nEXPLAIN of the {len(queries)} ticket queries of one page ({label}):")
        for sql in queries:
            shown = "SELECT ... " + sql[sql.index(' FROM "tickets_ticket"') :]
            print(f"{shown}\n{explain(sql, vendor)}")

    worst = max(stats["median"] for _l, stats, _n in results)
    if args.quick:
        print(f"\nQuick mode: no bar (worst median {worst:.2f} ms).")
        return 0
    verdict = "PASS" if worst < BAR_MS else "FAIL"
    print(f"\nBar: every scenario under {BAR_MS:.0f} ms median -> worst median {worst:.2f} ms: {verdict}")
    return 0 if worst < BAR_MS else 1


if __name__ == "__main__":
    sys.exit(main())
