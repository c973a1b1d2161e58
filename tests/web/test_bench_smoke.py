"""bench/web_pages.py runs end to end in its quick mode (the figures themselves are the benchmark's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_web_pages_benchmark_quick_mode():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "web_pages.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    # 0: every median under 150 ms; 3: a median over it (a loaded machine); anything else is a crash.
    assert result.returncode in (0, 3), result.stdout + result.stderr
    for page in ("queue", "ticket", "portal_list", "portal_ticket"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(page + " "))
        median = float(line.split()[1])
        assert median > 0
    assert "2,000 bulk tickets" in result.stdout
