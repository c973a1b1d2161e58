"""Benchmark: tickets created per second through POST /api/v1/tickets on a real gunicorn.

    .venv/bin/python bench/api_create.py                      # SQLite and PostgreSQL, 3 runs of 10 s each
    .venv/bin/python bench/api_create.py --db postgresql --threads 4
    .venv/bin/python bench/api_create.py --client python      # the Python client instead of wrk
    .venv/bin/python bench/api_create.py --quick              # SQLite, one 1 s run (smoke test)

For each database it creates a fresh database, migrates it, provisions customer organisations with
contracts, contacts and API tokens, starts `gunicorn guichet.wsgi -w 2` on 127.0.0.1 (plus
`--threads N` if asked: gthread workers; on PostgreSQL, sync workers get one persistent connection
each, `DATABASE_CONN_MAX_AGE=600`, unless the environment sets it: 0 means the psycopg pool), then
drives it with persistent HTTP/1.1 connections,
opening P3 tickets as customers (each one the full service: ticket, message, acknowledgement, SLA
event, audit entry, cached clock). It prints tickets/s for every run and the median, and checks
that the database holds the tickets answered 201.

The load generator shares the machine's cores with the server, so it should be cheap: by default it
is `wrk` (Debian package `wrk`, `apt-get install -y wrk`; a Lua script POSTs with a rotating bearer
token and counts the 201s), else `--client python` (threads with http.client, costlier; the default
with --quick, because it waits for every answer and so checks the stored count exactly, whereas wrk
stops with up to one request per connection in flight). Every run
prints the CPU time per ticket of the gunicorn workers, of the client and (PostgreSQL) of the
database server processes, the machine's busy cores during the run and the load average, so the
figure can be read on a shared machine. The bar: 500 tickets/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
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
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator (auto: wrk if found, python with --quick: its count is exact)",
    )
    args = parser.parse_args(argv)
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") and not args.quick else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install -y wrk)")
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
from guichet.contracts.models import Contract, Plan
from guichet.accounts.models import Organisation
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
    if threads == 1:
        # Sync workers: one persistent PostgreSQL connection each rather than the pool (README).
        env.setdefault("DATABASE_CONN_MAX_AGE", "600")
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


def _stat_cpu_seconds(pid: int | str) -> float:
    """CPU time (user + system) used so far by one process (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time used so far by the gunicorn workers."""
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return float("nan")
    return sum(_stat_cpu_seconds(pid) for pid in children)


def pg_backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (the workers' connections)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(common.PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
        ).fetchall()
    return [row[0] for row in rows]


def machine_busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, all processes (first line of /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


WRK_SCRIPT = r"""
-- POST /api/v1/tickets with a bearer token rotating over the customers' tokens (wrk arguments).
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  tokens = args
  n = 0
  created = 0
  failed = 0
  last_status = 0
end
function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local body = '{"subject":"Bench ' .. tid .. '-' .. n .. '","body":"Printer on fire.","priority":"P3"}'
  return wrk.format("POST", nil, {["Authorization"] = "Bearer " .. token,
                                  ["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 else failed = failed + 1; last_status = status end
end
function done(summary, latency, requests)
  local c, f, last = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); f = f + t:get("failed")
    if t:get("last_status") ~= 0 then last = t:get("last_status") end
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", c, f, summary.duration, last,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50)))
end
"""


def drive_wrk(
    port: int, tokens: list[str], clients: int, seconds: float
) -> tuple[int, int, float, dict, float]:
    """Open tickets for `seconds` with wrk. Returns (created, failed, elapsed, statuses, client CPU s)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    cmd = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s"]
    cmd += ["-s", script.name, f"http://127.0.0.1:{port}/api/v1/tickets", "--", *tokens]
    cpu0 = children_cpu_seconds()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
        # communicate() reaped wrk, so its CPU time is now in RUSAGE_CHILDREN.
        client_cpu = children_cpu_seconds() - cpu0
    finally:
        os.unlink(script.name)
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out}\n{err}")
    created, failed, micros, last, socket_errors, _p50 = (int(v) for v in line.split()[1:])
    statuses = {}
    if failed:
        statuses[last] = failed
    if socket_errors:
        statuses[-1] = socket_errors
    return created, failed + socket_errors, micros / 1e6, statuses, client_cpu


def children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def drive(port: int, tokens: list[str], clients: int, seconds: float) -> tuple[int, int, float, dict, float]:
    """Open tickets for `seconds` from `clients` Python threads. Returns (created, failed, elapsed,
    statuses, client CPU s): this process does nothing else meanwhile, so its CPU time is the client's."""
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
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start_barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return sum(created), sum(failed), elapsed, statuses, time.process_time() - cpu0


def bench_database(kind: str, args: argparse.Namespace) -> list[float]:
    if kind == "sqlite":
        url, var_dir = common.sqlite_url("create")
    else:
        url = common.recreate_pg_database("guichet_bench_create")
        _u, var_dir = common.sqlite_url("create-var")
    tokens = provision(url, var_dir, args.organisations)
    port = free_port()
    mode = f"-w {args.workers}" + (f" --threads {args.threads} (gthread)" if args.threads > 1 else " (sync)")
    if kind == "postgresql":
        age = os.environ.get("DATABASE_CONN_MAX_AGE", "600" if args.threads == 1 else "0")
        mode += (
            f", persistent connections (DATABASE_CONN_MAX_AGE={age})" if int(age) > 0 else ", psycopg pool"
        )
    print(
        f"\n{kind}: gunicorn {mode} on 127.0.0.1:{port}, {args.clients} client connections ({args.client}), "
        f"{len(tokens)} customer tokens"
    )
    proc = start_gunicorn(url, var_dir, port, args.workers, args.threads)
    run_clients = drive_wrk if args.client == "wrk" else drive
    rates: list[float] = []
    total_created = 0
    try:
        run_clients(port, tokens, args.clients, min(2.0, args.seconds))  # warm up: imports, pools, calendars
        total_created = count_tickets(url)
        db_pids = pg_backend_pids(url) if kind == "postgresql" else []
        for run in range(1, args.runs + 1):
            load = os.getloadavg()[0]
            cpu0 = worker_cpu_seconds(proc)
            db0 = sum(_stat_cpu_seconds(pid) for pid in db_pids)
            busy0, total0 = machine_busy_jiffies()
            created, failed, elapsed, statuses, client_cpu = run_clients(
                port, tokens, args.clients, args.seconds
            )
            busy1, total1 = machine_busy_jiffies()
            n = max(created, 1)
            worker_ms = (worker_cpu_seconds(proc) - cpu0) * 1000 / n
            db_ms = (sum(_stat_cpu_seconds(pid) for pid in db_pids) - db0) * 1000 / n
            client_ms = client_cpu * 1000 / n
            # Busy cores over the run, all processes of the machine (other engineers' work included).
            cores = os.cpu_count() or 1
            busy_cores = cores * (busy1 - busy0) / max(total1 - total0, 1)
            total_created += created
            rate = created / elapsed
            rates.append(rate)
            extra = f", {failed} failed {statuses}" if failed else ""
            db_part = f" + PostgreSQL {db_ms:.1f}" if kind == "postgresql" else ""
            ours = worker_ms + client_ms + (db_ms if kind == "postgresql" else 0)
            print(
                f"  run {run}: {created} tickets in {elapsed:.2f} s = {rate:.0f} tickets/s{extra}\n"
                f"         CPU per ticket: gunicorn workers {worker_ms:.2f} ms{db_part}"
                f" + client ({args.client})"
                f" {client_ms:.2f} ms = {ours:.2f} ms (ceiling on {cores} idle cores: "
                f"{cores * 1000 / ours:.0f}/s); machine busy {busy_cores:.2f} of {cores} cores,"
                f" load average {load:.1f}"
            )
    finally:
        stop(proc)
    stored = count_tickets(url)
    print(
        f"  median {statistics.median(rates):.0f} tickets/s; tickets in the database: {stored} "
        f"(answered 201: {total_created})"
    )
    # wrk stops with requests in flight: the server may finish up to one per connection per run
    # after wrk stopped counting. The Python client waits for every answer: exact.
    slack = 0 if args.client == "python" else args.clients * (args.runs + 1)
    if not 0 <= stored - total_created <= slack:
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
