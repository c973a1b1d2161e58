"""`guichet check --deploy`: statements cannot be signed in production without the vendor's key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def statement_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    if getattr(settings, "GUICHET_STATEMENT_KEY", "") or getattr(settings, "GUICHET_STATEMENT_KEY_FILE", ""):
        return []
    return [
        checks.Warning(
            "No statement signing key: monthly SLA statements will not be produced.",
            hint="Set GUICHET_STATEMENT_KEY or GUICHET_STATEMENT_KEY_FILE (docs/statements.md).",
            id="statements.W001",
        )
    ]
