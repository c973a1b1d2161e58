"""Brute-force reference for business time: walk UTC minute by minute.

Deliberately naive and independent of guichet.sla's algorithm: for each UTC
minute it asks zoneinfo for the local wall-clock time, then checks the weekly
windows and the holiday dates (straight from the ``holidays`` package). Valid
when every boundary falls on a whole UTC minute (true for the zones and years
tested: offsets and transitions are whole minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

WEEK = 7 * 86400


@dataclass
class RefCalendar:
    zone: str
    windows: list[tuple[int, time, int, time]]  # (start weekday, start, end weekday, end)
    country: str | None = None
    subdivision: str | None = None
    extra: set[date] = field(default_factory=set)
    always_open: bool = False

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.zone)
        self._hol: dict[int, set[date]] = {}

    def holiday(self, d: date) -> bool:
        if d in self.extra:
            return True
        if self.country is None:
            return False
        if d.year not in self._hol:
            self._hol[d.year] = set(
                holidays_pkg.country_holidays(self.country, subdiv=self.subdivision, years=d.year)
            )
        return d in self._hol[d.year]

    def open_at(self, u: int) -> bool:
        if self.always_open:
            return True
        local = datetime.fromtimestamp(u, self.tz)
        if self.holiday(local.date()):
            return False
        sow = local.weekday() * 86400 + local.hour * 3600 + local.minute * 60 + local.second
        for swd, st, ewd, et in self.windows:
            s = swd * 86400 + st.hour * 3600 + st.minute * 60
            e = ewd * 86400 + et.hour * 3600 + et.minute * 60
            span = (e - s) % WEEK or WEEK
            if (sow - s) % WEEK < span:
                return True
        return False

    def between(self, a: datetime, b: datetime, step: int = 60) -> timedelta:
        """Open time in [a, b), sampling every ``step`` seconds (all boundaries must be multiples)."""
        ua, ub = int(a.timestamp()), int(b.timestamp())
        assert ua % step == 0 and ub % step == 0
        n = sum(1 for u in range(ua, ub, step) if self.open_at(u))
        return timedelta(seconds=n * step)

    def add(self, a: datetime, minutes: int, limit_days: int = 60) -> datetime | None:
        u = int(a.timestamp())
        assert u % 60 == 0
        if minutes == 0:
            return a
        count = 0
        for _ in range(limit_days * 1440):
            if self.open_at(u):
                count += 1
                if count == minutes:
                    return datetime.fromtimestamp(u + 60, UTC)
            u += 60
        return None


def transitions(zone: str, years: range) -> list[int]:
    """UTC instants where the zone's offset changes (found by hourly scan + bisection)."""
    tz = ZoneInfo(zone)
    out = []
    start = int(datetime(years.start, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(years.stop, 1, 1, tzinfo=UTC).timestamp())

    def off(u: int) -> timedelta | None:
        return datetime.fromtimestamp(u, tz).utcoffset()

    prev = start
    for u in range(start + 3600, end, 3600):
        if off(u) != off(prev):
            a, b = prev, u
            while b - a > 1:
                m = (a + b) // 2
                if off(m) == off(a):
                    a = m
                else:
                    b = m
            out.append(b)
        prev = u
    return out
