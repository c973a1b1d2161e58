"""The data behind a "why is this due then?" view.

An :class:`Explanation` lists, in order, the business intervals a target
consumed, and what was skipped on the way: holidays (with names), closed days
and pauses. It renders as text for people and as a JSON-ready dict.

>>> from datetime import date, datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> paris = ZoneInfo("Europe/Paris")
>>> e = Explanation(
...     timezone="Europe/Paris", calendar="8x5 worldwide",
...     start=datetime(2026, 7, 13, 16, 0, tzinfo=paris), target=timedelta(hours=2),
...     due=datetime(2026, 7, 15, 10, 0, tzinfo=paris),
...     intervals=((datetime(2026, 7, 13, 16, 0, tzinfo=paris), datetime(2026, 7, 13, 17, 0, tzinfo=paris)),
...                (datetime(2026, 7, 15, 9, 0, tzinfo=paris), datetime(2026, 7, 15, 10, 0, tzinfo=paris))),
...     holidays=((date(2026, 7, 14), "Fête nationale"),))
>>> e.to_dict()["holidays"]
[{'date': '2026-07-14', 'name': 'Fête nationale'}]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from guichet.sla.errors import NaiveDatetimeError

Pair = tuple[datetime, datetime]


def _seconds(delta: timedelta) -> int | float:
    s = delta.total_seconds()
    return int(s) if s == int(s) else s


def format_duration(delta: timedelta) -> str:
    """Human duration: ``1 h 30 min``.

    >>> format_duration(timedelta(hours=26, minutes=5))
    '26 h 5 min'
    >>> format_duration(timedelta(seconds=45))
    '45 s'
    """
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h} h"] * bool(h) + [f"{m} min"] * bool(m) + [f"{s} s"] * bool(s)
    return sign + (" ".join(parts) or "0 min")


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a due time is what it is. All datetimes are aware, in the calendar's zone."""

    timezone: str
    calendar: str
    start: datetime
    target: timedelta
    due: datetime | None
    intervals: tuple[Pair, ...] = ()
    holidays: tuple[tuple[date, str], ...] = ()
    closed_days: tuple[date, ...] = ()
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()

    @property
    def consumed(self) -> timedelta:
        """Business time inside the listed intervals (equals the target once due)."""
        total = timedelta(0)
        for a, b in self.intervals:
            total += _utc_diff(a, b)
        return total

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (ISO 8601 strings, durations in seconds)."""
        return {
            "timezone": self.timezone,
            "calendar": self.calendar,
            "start": self.start.isoformat(),
            "target_seconds": _seconds(self.target),
            "due": self.due.isoformat() if self.due else None,
            "intervals": [
                {"start": a.isoformat(), "end": b.isoformat(), "seconds": _seconds(_utc_diff(a, b))}
                for a, b in self.intervals
            ],
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in self.holidays],
            "closed_days": [d.isoformat() for d in self.closed_days],
            "pauses": [{"start": a.isoformat(), "end": b.isoformat() if b else None} for a, b in self.pauses],
        }

    def to_text(self) -> str:
        """A plain-English rendering for people (CLI, support staff)."""
        lines = [
            f"Calendar: {self.calendar} ({self.timezone})",
            f"Start:    {self.start.isoformat()}",
            f"Target:   {format_duration(self.target)} of business time",
            f"Due:      {self.due.isoformat() if self.due else 'not known (clock paused)'}",
            "Business time counted:",
        ]
        for a, b in self.intervals:
            lines.append(f"  {a.isoformat()} -> {b.isoformat()}  ({format_duration(_utc_diff(a, b))})")
        if not self.intervals:
            lines.append("  (none)")
        if self.holidays:
            lines.append("Holidays skipped:")
            lines += [f"  {d.isoformat()} {d.strftime('%A')}: {n}" for d, n in self.holidays]
        if self.closed_days:
            lines.append("Closed days skipped:")
            lines += [f"  {d.isoformat()} {d.strftime('%A')}" for d in self.closed_days]
        if self.pauses:
            lines.append("Pauses skipped:")
            lines += [
                f"  {a.isoformat()} -> {b.isoformat() if b else '(still paused)'}" for a, b in self.pauses
            ]
        return "\n".join(lines)


def _utc_diff(a: datetime, b: datetime) -> timedelta:
    # Aware datetimes sharing a tzinfo subtract as wall clocks; go through UTC offsets.
    oa, ob = a.utcoffset(), b.utcoffset()
    if oa is None or ob is None:
        raise NaiveDatetimeError("explanation intervals must be aware datetimes")
    return (b.replace(tzinfo=None) - ob) - (a.replace(tzinfo=None) - oa)
