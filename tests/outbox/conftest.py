"""The outbox tests run with the desk's settings (tests/conftest.py: desk_settings)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _desk(desk_settings) -> None:
    """Inline tasks and the locmem outbox, fast hashing, fixed SLA thresholds, tmp_path media."""
