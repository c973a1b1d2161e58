"""Keyset (cursor) pagination for the ticket queue.

Offsets get slower the deeper one pages and skip or repeat rows when tickets move; a cursor
remembers the last row's sort key and asks for the rows after it, which the
(sla_due_at, id) and (organisation, sla_due_at, id) indexes answer directly.

Order "due": sla_due_at ascending, then id; tickets without a due instant (no SLA, paused, or
answered) come last, by id. Order "-submitted": newest first, then id descending.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import heapq
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guichet.api.errors import ApiError


@dataclass(frozen=True)
class Cursor:
    ordering: str
    key: dt.datetime | None
    id: int


def encode_cursor(cursor: Cursor) -> str:
    payload = {"o": cursor.ordering, "k": cursor.key.isoformat() if cursor.key else None, "i": cursor.id}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(raw: str, ordering: str) -> Cursor:
    invalid = ApiError(
        422,
        _("The cursor is not valid for this listing."),
        [{"loc": ["query", "cursor"], "message": str(_("Invalid cursor.")), "type": "invalid"}],
    )
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        key = dt.datetime.fromisoformat(data["k"]) if data["k"] is not None else None
        cursor = Cursor(str(data["o"]), key, int(data["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise invalid from None
    if cursor.ordering != ordering or (cursor.key is not None and cursor.key.tzinfo is None):
        raise invalid
    return cursor


def _due_key(key: tuple[dt.datetime | None, int]) -> tuple:
    # The order of _due_keys: dated tickets by (due, id), then undated ones by id.
    due, pk = key
    return (due is None, due or dt.datetime.min.replace(tzinfo=dt.UTC), pk)


def _key_of(row: dict, ordering: str) -> dt.datetime | None:
    return row["sla_due_at"] if ordering == "due" else row["submitted_at"]


def keyset_page(
    qs: QuerySet,
    ordering: str,
    cursor: str | None,
    limit: int,
    statuses: Sequence[str] | None = None,
    *,
    values: Sequence[str],
) -> tuple[list[dict], str | None]:
    """One page of the tickets of `qs`, as `.values(*values)` dicts (which must include id,
    sla_due_at and submitted_at), in `ordering` after `cursor`, and the next page's cursor or None.

    `statuses` restricts the page to those statuses. In due order each status is read on its own
    (status, sla_due_at, id) index and the sorted runs are merged here: one `status IN (...)` scan
    of the due index would wade through every closed ticket due earlier than the first open one.
    """
    after = decode_cursor(cursor, ordering) if cursor else None
    if ordering == "due":
        # Keys first (index-only work, no joins), then the full rows of this page only.
        keys_qs = qs.select_related(None).values_list("sla_due_at", "id")
        if statuses is None:
            keys = _due_keys(keys_qs, after, limit + 1)
        else:
            runs = [_due_keys(keys_qs.filter(status=status), after, limit + 1) for status in statuses]
            keys = list(heapq.merge(*runs, key=_due_key))[: limit + 1]
        by_id = {row["id"]: row for row in qs.filter(pk__in=[pk for _due, pk in keys]).values(*values)}
        rows = [by_id[pk] for _due, pk in keys if pk in by_id]
    else:
        if statuses is not None:
            qs = qs.filter(status__in=statuses)
        page = qs.order_by("-submitted_at", "-id")
        if after is not None:
            page = page.filter(Q(submitted_at__lt=after.key) | Q(submitted_at=after.key, id__lt=after.id))
        rows = list(page.values(*values)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(Cursor(ordering, _key_of(last, ordering), last["id"]))
    return rows, next_cursor


def _due_keys(qs: QuerySet, after: Cursor | None, want: int) -> list[tuple[dt.datetime | None, int]]:
    # Two index-ordered scans rather than one "NULLS LAST" ORDER BY with an OR in the WHERE clause,
    # which neither SQLite nor PostgreSQL can answer from the (sla_due_at, id) index.
    keys: list = []
    if after is None or after.key is not None:
        dated = qs.filter(sla_due_at__isnull=False).order_by("sla_due_at", "id")
        if after is not None:
            # The >= bound lets the index seek; the OR then only sorts out ties.
            dated = dated.filter(sla_due_at__gte=after.key).filter(
                Q(sla_due_at__gt=after.key) | Q(id__gt=after.id)
            )
        keys = list(dated[:want])
    if len(keys) < want:
        undated = qs.filter(sla_due_at__isnull=True).order_by("id")
        if after is not None and after.key is None:
            undated = undated.filter(id__gt=after.id)
        keys += list(undated[: want - len(keys)])
    return keys
