"""Smoke test: the SLA benchmark runs in quick mode without peers (timings are not asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick_without_peers() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sla_speed.py"), "--quick", "--no-peers", "--items", "300"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "guichet            add_many_epoch (int s)" in proc.stdout
    assert "2000 h target within 2x of 30 min" in proc.stdout
    assert "SKIP  add: >= 3x faster than workclock add (peer not installed)" in proc.stdout
