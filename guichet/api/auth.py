"""Bearer-token authentication: `Authorization: Bearer <token>` acts as exactly one person.

Only the SHA-256 digest of a token is stored (`ApiToken.hash`), so the lookup is one indexed query.
Tokens are read from the header only, never from the query string (they would end up in logs).
Nothing is cached between requests: a revoked or expired token, or a deactivated person, is refused
on the very next request, in every worker.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.db import connections, router
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from guichet import fastsql
from guichet.accounts.models import ApiToken, Organisation, Person

# last_used_at is informative ("is this token still in use?"): writing it on every request would
# turn every read into a write, so it is refreshed at most once a minute.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = _token_with_person(ApiToken.hash(token))
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
        _activate_preferences(request, person)
        return person


def request_person(request: HttpRequest) -> Person:
    """The person acting in an authenticated API request.

    django-ninja stores what `BearerToken.authenticate` returned in `request.auth` (an attribute
    Django's `HttpRequest` does not declare); a route behind `bearer` never runs without it.
    """
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Person):
        raise AuthenticationError()
    return auth


# The token, its person and the person's organisation, read with one SQL statement built once per
# database: the same join as select_related("person", "person__organisation"), without the ORM
# compiling it again on every request (that compilation cost more CPU than the query itself).
_JOINED = (("t", ApiToken), ("p", Person), ("o", Organisation))


@functools.cache  # per alias: the backend and the schema do not change in a running process
def _token_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    columns = ", ".join(fastsql.select_list(model, alias, table) for table, model in _JOINED)
    person_fk = qn(fastsql.column(Person._meta.get_field("organisation")))
    token_fk = qn(fastsql.column(ApiToken._meta.get_field("person")))
    return (
        f"SELECT {columns} FROM {qn(ApiToken._meta.db_table)} t"
        f" INNER JOIN {qn(Person._meta.db_table)} p ON p.{qn(fastsql.column(Person._meta.pk))} = t.{token_fk}"
        f" LEFT OUTER JOIN {qn(Organisation._meta.db_table)} o"
        f" ON o.{qn(fastsql.column(Organisation._meta.pk))} = p.{person_fk}"
        f" WHERE t.{qn(fastsql.column(ApiToken._meta.get_field('digest')))} = %s"
    )


def _token_with_person(digest: str) -> ApiToken | None:
    """The token with this digest, its `person` and the person's `organisation` loaded, or None."""
    alias = router.db_for_read(ApiToken)
    with fastsql.cursor(alias) as cursor:
        cursor.execute(_token_sql(alias), [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    instances = []
    start = 0
    for table, model in _JOINED:
        values = row[start : start + len(model._meta.concrete_fields)]
        start += len(values)
        # The organisation is an outer join: all NULL for staff.
        instances.append(None if values[0] is None else fastsql.instance(model, alias, table, values))
    token, person, organisation = instances
    # Inner joins: the token and its person are never NULL (only the organisation may be).
    assert isinstance(token, ApiToken) and isinstance(person, Person)
    Person.organisation.field.set_cached_value(person, organisation)
    ApiToken.person.field.set_cached_value(token, person)
    return token


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
