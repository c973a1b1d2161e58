"""Test-run defaults, loaded by pytest before Django reads its settings (`-p` in pyproject.toml).

Settings come from the environment only, and pytest-django imports them before any conftest.py
runs, so the defaults a test run needs are set here: tasks run inline unless a run asks for a real
queue, and nothing is written under the checkout's var/.
"""

from __future__ import annotations

import os
import shutil
import tempfile

os.environ.setdefault("GUICHET_TASKS", "immediate")
_created_var_dir: str | None = None
if "GUICHET_VAR_DIR" not in os.environ:
    _created_var_dir = os.environ["GUICHET_VAR_DIR"] = tempfile.mkdtemp(prefix="guichet-test-var-")


def pytest_unconfigure(config) -> None:
    if _created_var_dir:
        shutil.rmtree(_created_var_dir, ignore_errors=True)
