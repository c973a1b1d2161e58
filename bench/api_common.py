"""Shared plumbing for the API benchmarks: pick and create the database, set Django up, build a
minimal world (organisations, contracts, people, tokens), and summarise timings."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def recreate_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def pg_database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def sqlite_url(label: str) -> tuple[str, Path]:
    directory = Path(tempfile.mkdtemp(prefix=f"guichet-{label}-"))
    return f"sqlite:///{directory / 'bench.sqlite3'}", directory


def setup_django(database_url: str, var_dir: Path | None = None) -> None:
    """Point settings at `database_url` (before Django reads them) and set Django up."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    os.environ.setdefault("GUICHET_TASKS", "immediate")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if var_dir is not None:
        os.environ["GUICHET_VAR_DIR"] = str(var_dir)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "min": ordered[0], "max": ordered[-1]}


def fmt(stats: dict[str, float]) -> str:
    return (
        f"median {stats['median']:.2f} ms, p95 {stats['p95']:.2f} ms"
        f" (min {stats['min']:.2f}, max {stats['max']:.2f})"
    )
