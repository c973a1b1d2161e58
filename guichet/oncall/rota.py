"""On-call schedules as pure data and exact arithmetic (no Django): who is on call at an instant.

A **schedule** has **rotations** in two tiers, *primary* and *secondary*. A rotation hands its shift
from one member to the next every ``length_days`` days at a local wall-clock time (``hand_off``) of
its own zone, starting with ``members[0]`` at ``start_date``. It may be **restricted** to weekly
local windows (``guichet.sla.Window``, e.g. 08:00–20:00 every day): that is how follow-the-sun
works — a Paris rotation restricted to 08:00–20:00 Paris time and a Montréal one to 14:00–02:00
Montréal time. Within a tier, a later rotation wins where it is active (PagerDuty's layers).
**Overrides** put one person on a tier for ``[start, end)`` (a swap, an illness); the latest wins.

Time is wall-clock exact, as the SLA core's calendars (`guichet.sla.calendar`): a restriction is
open when the local time of an instant is inside a window (the core's ``Calendar.is_open``), and a
hand-off happens at the **first instant whose local time reaches** the hand-off time that day — on a
spring-forward night a 02:30 hand-off that does not exist happens when the clocks jump (03:00), on a
fall-back night a repeated time hands off at its first occurrence and never hands back.

>>> from datetime import date, datetime, time
>>> from zoneinfo import ZoneInfo
>>> paris = ZoneInfo("Europe/Paris")
>>> day = Rotation("primary", "Europe/Paris", (1, 2), hand_off=time(9), start_date=date(2026, 3, 2))
>>> s = Schedule("Europe/Paris", (day,))
>>> s.on_call(datetime(2026, 3, 2, 10, tzinfo=paris)), s.on_call(datetime(2026, 3, 3, 8, tzinfo=paris))
({'primary': 1}, {'primary': 1})
>>> s.on_call(datetime(2026, 3, 3, 9, tzinfo=paris))
{'primary': 2}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from guichet.sla.calendar import Calendar, Window
from guichet.sla.errors import InvalidWindowError, NaiveDatetimeError, SlaError
from guichet.sla.zones import get_zone, offset_segments

__all__ = [
    "TIERS",
    "Override",
    "RotaError",
    "Rotation",
    "Schedule",
    "Shift",
    "hand_off_instant",
]

#: The tiers of a schedule, in escalation order.
TIERS = ("primary", "secondary")


class RotaError(SlaError):
    """A schedule that cannot be computed (bad tier, empty rotation, naive instant...)."""


def _aware(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise NaiveDatetimeError(f"{value!r} has no UTC offset; schedules need aware datetimes")
    return value.astimezone(UTC)


def hand_off_instant(zone: ZoneInfo, day: date, at: time) -> datetime:
    """The first instant (UTC) whose local wall-clock time in ``zone`` reaches ``day`` at ``at``.

    A time in a spring-forward gap gives the end of the gap; a repeated time its first occurrence.

    >>> paris = ZoneInfo("Europe/Paris")
    >>> hand_off_instant(paris, date(2026, 3, 29), time(2, 30)).isoformat()  # the gap: 03:00 CEST
    '2026-03-29T01:00:00+00:00'
    >>> hand_off_instant(paris, date(2026, 10, 25), time(2, 30)).isoformat()  # first 02:30 (CEST)
    '2026-10-25T00:30:00+00:00'
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    u = first.astimezone(UTC)
    if u.astimezone(zone).replace(tzinfo=None) == naive:
        # Exists. With fold=0 a repeated time is its first occurrence.
        return u
    # In a gap: the zone's offset changes between the two readings of the naive time; the
    # transition instant (the gap's end) is the segment boundary the core's zones.py found.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo_s, hi_s = int(min(lo, u).timestamp()), int(max(lo, u).timestamp())
    for year in {datetime.fromtimestamp(lo_s, UTC).year, datetime.fromtimestamp(hi_s, UTC).year}:
        for start, _end, _off in offset_segments(zone.key, year):
            if lo_s < start <= hi_s:
                return datetime.fromtimestamp(start, UTC)
    raise RotaError(f"no offset change found around {naive} in {zone.key}")  # pragma: no cover


@dataclass(frozen=True)
class Rotation:
    """Members take turns, each for ``length_days`` days from ``hand_off`` (local time of ``zone``)."""

    tier: str
    zone: str
    members: tuple[int, ...]
    hand_off: time = time(9)
    start_date: date = date(2026, 1, 5)
    length_days: int = 7
    #: Weekly local windows the rotation is on call in (empty: always).
    restrictions: tuple[Window, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise RotaError(f"tier must be one of {', '.join(TIERS)}, not {self.tier!r}")
        if not self.members:
            raise RotaError("a rotation needs at least one member")
        if not 1 <= self.length_days <= 366:
            raise RotaError("a shift lasts 1 to 366 days")
        if self.hand_off.tzinfo is not None or self.hand_off.microsecond:
            raise RotaError("the hand-off is a local wall-clock time in whole seconds")
        for w in self.restrictions:
            if not isinstance(w, Window):
                raise InvalidWindowError(f"restrictions are guichet.sla.Window values, got {w!r}")
        get_zone(self.zone)

    @property
    def tz(self) -> ZoneInfo:
        return get_zone(self.zone)

    def calendar(self) -> Calendar | None:
        """The restriction as a core calendar (None: not restricted)."""
        if not self.restrictions:
            return None
        return Calendar(self.zone, self.restrictions)

    def boundary(self, k: int) -> datetime:
        """When shift ``k`` (0 = the first, ``members[0]``) starts."""
        day = self.start_date + timedelta(days=k * self.length_days)
        return hand_off_instant(self.tz, day, self.hand_off)

    def shift_index(self, at: datetime) -> int | None:
        """Which shift holds ``at`` (None before the rotation starts)."""
        u = _aware(at)
        local_day = u.astimezone(self.tz).date()
        k = (local_day - self.start_date).days // self.length_days
        # The local date is a guess within one shift: hand-offs at odd hours, gaps and folds.
        while k >= 0 and self.boundary(k) > u:
            k -= 1
        while self.boundary(k + 1) <= u:
            k += 1
        return k if k >= 0 else None

    def member_at(self, at: datetime) -> int | None:
        """Who this rotation puts on call at ``at`` (None: before its start, or outside its hours)."""
        cal = self.calendar()
        if cal is not None and not cal.is_open(at):
            return None
        k = self.shift_index(at)
        return None if k is None else self.members[k % len(self.members)]

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """Instants in ``(start, end)`` where the rotation can change who it puts on call."""
        a, b = _aware(start), _aware(end)
        out: list[datetime] = []
        k = self.shift_index(a)
        k = 0 if k is None else k + 1
        while (x := self.boundary(k)) < b:
            if x > a:
                out.append(x)
            k += 1
        cal = self.calendar()
        if cal is not None:
            for s, e in cal.open_intervals(a, b):
                out += [x.astimezone(UTC) for x in (s, e) if a < x < b]
        return out


@dataclass(frozen=True)
class Override:
    """``person`` takes ``tier`` for ``[start, end)``, whatever the rotations say."""

    tier: str
    person: int
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise RotaError(f"tier must be one of {', '.join(TIERS)}, not {self.tier!r}")
        if _aware(self.end) <= _aware(self.start):
            raise RotaError("an override ends after it starts")


@dataclass(frozen=True)
class Shift:
    """One person on one tier for ``[start, end)`` (UTC); ``source`` says why (rotation or override)."""

    tier: str
    person: int | None
    start: datetime
    end: datetime
    source: str = ""


@dataclass(frozen=True)
class Schedule:
    """A team's on-call schedule: rotations stacked per tier, then overrides on top."""

    zone: str
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = field(default=())

    def _who(self, u: datetime) -> dict[str, tuple[int | None, str]]:
        out: dict[str, tuple[int | None, str]] = {t: (None, "") for t in TIERS}
        for rot in self.rotations:  # later rotations win where they have someone
            person = rot.member_at(u)
            if person is not None:
                out[rot.tier] = (person, rot.name or "rotation")
        for ov in self.overrides:  # then overrides, the latest last
            if _aware(ov.start) <= u < _aware(ov.end):
                out[ov.tier] = (ov.person, "override")
        return out

    def on_call(self, at: datetime) -> dict[str, int | None]:
        """{tier: person id or None} at ``at``."""
        return {t: p for t, (p, _src) in self._who(_aware(at)).items()}

    def _boundaries(self, a: datetime, b: datetime) -> list[datetime]:
        points = {a}
        for rot in self.rotations:
            points.update(rot.boundaries(a, b))
        for ov in self.overrides:
            points.update(x for x in (_aware(ov.start), _aware(ov.end)) if a < x < b)
        return sorted(points)

    def shifts(self, start: datetime, end: datetime, tiers: Iterable[str] = TIERS) -> list[Shift]:
        """Who is on each tier over ``[start, end)``, as maximal shifts (gaps have ``person=None``)."""
        a, b = _aware(start), _aware(end)
        if b <= a:
            return []
        wanted = tuple(tiers)
        points = self._boundaries(a, b)
        out: list[Shift] = []
        current: dict[str, Shift] = {}
        for i, p in enumerate(points):
            nxt = points[i + 1] if i + 1 < len(points) else b
            who = self._who(p)
            for tier in wanted:
                person, source = who[tier]
                cur = current.get(tier)
                if cur is not None and cur.person == person and cur.source == source:
                    current[tier] = Shift(tier, person, cur.start, nxt, source)
                else:
                    if cur is not None:
                        out.append(cur)
                    current[tier] = Shift(tier, person, p, nxt, source)
        out += current.values()
        return sorted(out, key=lambda s: (s.start, TIERS.index(s.tier)))

    def next_change(self, at: datetime, tier: str = "primary", horizon_days: int = 60) -> Shift | None:
        """The next shift on ``tier`` after the one holding ``at`` (None within the horizon)."""
        a = _aware(at)
        for shift in self.shifts(a, a + timedelta(days=horizon_days), (tier,)):
            if shift.start > a:
                return shift
        return None
