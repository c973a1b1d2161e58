"""Benchmark: tickets created per second through POST /api/v1/tickets on a real gunicorn.

    .venv/bin/python bench/api_create.py                      # SQLite and PostgreSQL, 3 runs of 10 s each
    .venv/bin/python bench/api_create.py --db postgresql --threads 4
    .venv/bin/python bench/api_create.py --quick              # SQLite, one 1 s run (smoke test)

For each database it creates a fresh database, migrates it, provisions customer organisations with
contracts, contacts and API tokens, starts `gunicorn guichet.wsgi -w 2` on 127.0.0.1 (plus
`--threads N` if asked: gthread workers), then drives it with a pool of client threads, each with
one persistent HTTP/1.1 connection, opening P3 tickets as customers (each one the full service:
ticket, message, acknowledgement, SLA event, audit entry, cached clock). It prints tickets/s for
every run and the median, and checks that the database holds exactly the tickets answered 201.
The bar: 500 tickets/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_common as common

BAR = 500.0
ROOT = common.ROOT


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short run on SQLite (smoke test, no bar)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="length of each run")
    parser.add_argument("--clients", type=int, default=None, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread if > 1)")
    parser.add_argument("--organisations", type=int, default=None)
    args = parser.parse_args(argv)
    args.db = args.db or ("sqlite" if args.quick else "both")
    args.runs = args.runs or (1 if args.quick else 3)
    args.seconds = args.seconds or (1.0 if args.quick else 10.0)
    args.clients = args.clients or (2 if args.quick else 8)
    args.organisations = args.organisations or (3 if args.quick else 50)
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def provision(database_url: str, var_dir: Path | None, n_orgs: int) -> list[str]:
    """Migrate and create organisations, contracts and one customer (with a token) each, in a child
    process so this driver process never holds Django or a database connection."""
    code = f"""
import sys, json, datetime as dt
sys.path.insert(0, {str(ROOT / "bench")!r})
import api_common as common
common.setup_django({database_url!r})
common.migrate()
from guichet.accounts.models import ApiToken, Person, Role
from guichet.contracts.models import Contract, Organisation, Plan
tokens = []
for i in range({n_orgs}):
    org = Organisation.objects.create(name=f"Customer {{i}}")
    Contract.objects.create(
        organisation=org, reference=f"Q-{{i}}", plan=Plan.PREMIUM if i % 2 else Plan.BASIC,
        time_zone="Europe/Paris" if i % 3 else "America/Toronto", holiday_country="FR" if i % 3 else "CA",
        valid_from=dt.date(2020, 1, 1))
    person = Person.objects.create(username=f"contact{{i}}", role=Role.CUSTOMER, organisation=org)
    tokens.append(ApiToken.issue(person, "bench")[1])
print(json.dumps(tokens))
"""
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    if var_dir is not None:
        env["GUICHET_VAR_DIR"] = str(var_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def count_tickets(database_url: str) -> int:
    code = f"""
import sys
sys.path.insert(0, {str(ROOT / "bench")!r})
import api_common as common
common.setup_django({database_url!r})
from guichet.tickets.models import Ticket
print(Ticket.objects.count())
"""
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def start_gunicorn(
    database_url: str, var_dir: Path, port: int, workers: int, threads: int
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GUICHET_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "DATABASE_POOL_MAX": str(max(4, threads + 2)),
    }
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "guichet.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--log-level",
        "warning",
        "--keep-alive",
        "30",
    ]
    if threads > 1:
        cmd += ["--threads", str(threads), "-k", "gthread"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by the gunicorn workers (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return float("nan")
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def drive(port: int, tokens: list[str], clients: int, seconds: float) -> tuple[int, int, float, dict]:
    """Open tickets for `seconds` from `clients` threads. Returns (created, failed, elapsed, statuses)."""
    created = [0] * clients
    failed = [0] * clients
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start_barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        token = tokens[index % len(tokens)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        start_barrier.wait()
        while time.perf_counter() < stop_at[0]:
            body = json.dumps({"subject": f"Bench {index}-{n}", "body": "Printer on fire.", "priority": "P3"})
            try:
                conn.request("POST", "/api/v1/tickets", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = -1
            n += 1
            if status == 201:
                created[index] += 1
            else:
                failed[index] += 1
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start_barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return sum(created), sum(failed), elapsed, statuses


def bench_database(kind: str, args: argparse.Namespace) -> list[float]:
    if kind == "sqlite":
        url, var_dir = common.sqlite_url("create")
    else:
        url = common.recreate_pg_database("guichet_bench_create")
        _u, var_dir = common.sqlite_url("create-var")
    tokens = provision(url, var_dir, args.organisations)
    port = free_port()
    mode = f"-w {args.workers}" + (f" --threads {args.threads} (gthread)" if args.threads > 1 else " (sync)")
    print(
        f"\n{kind}: gunicorn {mode} on 127.0.0.1:{port}, {args.clients} client connections, "
        f"{len(tokens)} customer tokens"
    )
    proc = start_gunicorn(url, var_dir, port, args.workers, args.threads)
    rates: list[float] = []
    total_created = 0
    try:
        drive(port, tokens, args.clients, min(2.0, args.seconds))  # warm up: imports, pools, calendars
        total_created = count_tickets(url)
        for run in range(1, args.runs + 1):
            load = os.getloadavg()[0]
            cpu0 = worker_cpu_seconds(proc)
            created, failed, elapsed, statuses = drive(port, tokens, args.clients, args.seconds)
            cpu_ms = (worker_cpu_seconds(proc) - cpu0) * 1000 / max(created, 1)
            total_created += created
            rate = created / elapsed
            rates.append(rate)
            extra = f", {failed} failed {statuses}" if failed else ""
            print(
                f"  run {run}: {created} tickets in {elapsed:.2f} s = {rate:.0f} tickets/s{extra}"
                f" (gunicorn workers' CPU {cpu_ms:.1f} ms per ticket; load average {load:.1f})"
            )
    finally:
        stop(proc)
    stored = count_tickets(url)
    print(
        f"  median {statistics.median(rates):.0f} tickets/s; tickets in the database: {stored} "
        f"(answered 201: {total_created})"
    )
    if stored != total_created:
        raise SystemExit(f"{kind}: {stored} tickets stored but {total_created} answered 201")
    return rates


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    medians = {}
    for kind in kinds:
        medians[kind] = statistics.median(bench_database(kind, args))
    print()
    for kind, median in medians.items():
        verdict = "n/a (quick)" if args.quick else ("PASS" if median >= BAR else "FAIL")
        print(f"{kind}: median {median:.0f} tickets/s (bar {BAR:.0f}/s): {verdict}")
    return 0 if args.quick or all(m >= BAR for m in medians.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
