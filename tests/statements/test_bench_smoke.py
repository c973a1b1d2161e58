"""bench/statements.py runs end to end in its quick mode (the figures themselves are the benchmark's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_statements_benchmark_quick_mode():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "statements.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seeded     30 organisations: 600 tickets" in result.stdout
    assert "linear: producing 30" in result.stdout and "verifying costs less" in result.stdout
