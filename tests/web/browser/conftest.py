"""Browser tests of the desk and the portal: Debian's Chromium through Playwright, against
`live_server` (marked `browser`; tests/conftest.py has the `page` fixture).

tests/web/conftest.py's autouse settings do not apply here: each browser test sets what its live
server needs. The desk journeys run tasks inline (their `world`); the smoke test keeps the task
backend the settings configure (Huey, immediate in tests), as `bin/run` keeps Huey.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _inline_work() -> None:
    """Replaces the web folder's autouse fixture of the same name with nothing."""
