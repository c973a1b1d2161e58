"""The on-call report: how fast pages are acknowledged (median and 90th percentile, per level,
person and month) and how many pages reach each person outside their working hours, so a lead can
balance the load. Read from the paging history (append-only: the report is a pure read)."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from guichet.accounts.models import Person
from guichet.oncall.models import OncallProfile, PageKind, PageRecord


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class AckRow:
    key: str
    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class LoadRow:
    person: str
    pages: int
    outside: int


@dataclass(frozen=True)
class Report:
    by_level: list[AckRow]
    by_person: list[AckRow]
    by_month: list[AckRow]
    load: list[LoadRow]
    unacknowledged: int


def _rows(groups: dict[str, list[float]]) -> list[AckRow]:
    return [AckRow(k, len(v), percentile(v, 50), percentile(v, 90)) for k, v in sorted(groups.items())]


def build(start: dt.datetime, end: dt.datetime, zone: str = "UTC") -> Report:
    """Escalations that started in ``[start, end)``; months in ``zone``."""
    tz = zoneinfo.ZoneInfo(zone)
    records = list(
        PageRecord.objects.filter(escalation__created_at__gte=start, escalation__created_at__lt=end)
        .filter(kind__in=[PageKind.PAGED, PageKind.ACKNOWLEDGED, PageKind.TRIGGERED])
        .select_related("person", "escalation")
        .order_by("at", "id")
    )
    first: dict[int, dt.datetime] = {}
    last_level: dict[int, int] = {}
    by_level: dict[str, list[float]] = defaultdict(list)
    by_person: dict[str, list[float]] = defaultdict(list)
    by_month: dict[str, list[float]] = defaultdict(list)
    paged_escalations: set[int] = set()
    acked: set[int] = set()
    for r in records:
        esc = r.escalation_id
        if esc is None:
            continue
        if r.kind == PageKind.PAGED:
            first.setdefault(esc, r.at)
            last_level[esc] = r.level or 0
            paged_escalations.add(esc)
        elif r.kind == PageKind.ACKNOWLEDGED and esc in first:
            seconds = max(0.0, (r.at - first[esc]).total_seconds())
            acked.add(esc)
            by_level[str(last_level.get(esc, 0))].append(seconds)
            by_person[str(r.person) if r.person else "?"].append(seconds)
            by_month[first[esc].astimezone(tz).strftime("%Y-%m")].append(seconds)
    profiles = {p.person_id: p for p in OncallProfile.objects.select_related("person")}
    pages: dict[int, int] = defaultdict(int)
    outside: dict[int, int] = defaultdict(int)
    people: dict[int, Person] = {}
    for r in records:
        if r.kind != PageKind.PAGED or r.person is None or r.person_id is None:
            continue
        pid = r.person_id
        people[pid] = r.person
        pages[pid] += 1
        profile = profiles.get(pid) or OncallProfile(person=r.person)
        if not profile.working_hours().is_open(r.at):
            outside[pid] += 1
    load = sorted(
        (LoadRow(str(people[p]), pages[p], outside[p]) for p in pages),
        key=lambda row: (-row.outside, row.person),
    )
    return Report(_rows(by_level), _rows(by_person), _rows(by_month), load, len(paged_escalations - acked))
