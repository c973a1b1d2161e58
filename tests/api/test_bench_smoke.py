"""Both API benchmarks run end to end in quick mode on SQLite (tiny sizes, no timing assertions)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_api_queue_quick():
    out = run("api_queue.py")
    assert "Generated 2,000 tickets" in out
    # Every scenario answered a page, and the plans were printed.
    assert len(re.findall(r"^- .*: \d+ items, median [\d.]+ ms", out, re.M)) == 6
    assert out.count("EXPLAIN of the") == 3 and "ticket_" in out


@pytest.mark.slow
def test_api_create_quick():
    out = run("api_create.py")
    match = re.search(r"tickets in the database: (\d+) \(answered 201: (\d+)\)", out)
    assert match and int(match.group(1)) == int(match.group(2)) > 0
    assert re.search(r"run 1: \d+ tickets in [\d.]+ s = \d+ tickets/s", out)
