"""Bearer-token authentication: `Authorization: Bearer <token>` acts as exactly one person.

Only the SHA-256 digest of a token is stored (`ApiToken.hash`), so the lookup is one indexed query.
Tokens are read from the header only, never from the query string (they would end up in logs).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja.security import HttpBearer

from guichet.accounts.models import ApiToken, Person

# last_used_at is informative ("is this token still in use?"): writing it on every request would
# turn every read into a write, so it is refreshed at most once a minute.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = (
            ApiToken.objects.select_related("person", "person__organisation")
            .filter(digest=ApiToken.hash(token))
            .first()
        )
        now = timezone.now()
        if row is None or not row.is_active(now) or not row.person.is_active:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            # Conditional update: concurrent requests in the same minute do not all write.
            ApiToken.objects.filter(pk=row.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        person = row.person
        request.user = person
        request.api_token = row  # type: ignore[attr-defined]
        _activate_preferences(request, person)
        return person


def _activate_preferences(request: HttpRequest, person: Person) -> None:
    """Accept-Language (handled by LocaleMiddleware) wins; without it, the person's language."""
    if "HTTP_ACCEPT_LANGUAGE" not in request.META and person.language:
        translation.activate(person.language)
        request.LANGUAGE_CODE = translation.get_language()
    try:
        timezone.activate(zoneinfo.ZoneInfo(person.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


bearer = BearerToken()
