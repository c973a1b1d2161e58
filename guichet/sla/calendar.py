"""Business calendars: weekly local windows + holidays, evaluated exactly in UTC.

Model. A calendar is an IANA zone, weekly open windows in local wall-clock time
and whole-day local holidays (or "always open"). An instant is *open* when its
local wall-clock time (UTC + the zone's offset at that instant) falls inside a
window on a day that is not a holiday. Business time is real elapsed time while
open, so a skipped spring-forward hour counts nothing and a repeated fall-back
hour counts twice.

Algorithm. Per UTC year the calendar is materialised once (lazily) into sorted
UTC open intervals; a flat list of boundaries ``B`` and a parallel list ``C`` of
cumulative business time turn ``add`` and ``between`` into two ``bisect`` calls.
Cost does not depend on the length of a target. The materialisation is in
``timeline.py`` (the zone-offset segments it relies on in ``zones.py``); this
module holds the API: ``Window``, ``Calendar`` and its queries.

>>> from datetime import datetime, time, timedelta
>>> from zoneinfo import ZoneInfo
>>> paris = ZoneInfo("Europe/Paris")
>>> office = Calendar("Europe/Paris", Window.daily(range(5), time(9), time(17)))
>>> office.add(datetime(2026, 7, 10, 16, 0, tzinfo=paris), timedelta(hours=1))
datetime.datetime(2026, 7, 10, 17, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Paris'))
>>> office.add(datetime(2026, 7, 10, 16, 0, tzinfo=paris), timedelta(hours=2)).isoformat()
'2026-07-13T10:00:00+02:00'
>>> office.between(datetime(2026, 7, 10, 16, 0, tzinfo=paris), datetime(2026, 7, 13, 10, 0, tzinfo=paris))
datetime.timedelta(seconds=7200)
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from guichet.sla.errors import (
    EmptyCalendarError,
    InvalidTargetError,
    InvalidWindowError,
    NaiveDatetimeError,
    SlaError,
)
from guichet.sla.explain import Explanation
from guichet.sla.holidays_source import NO_HOLIDAYS, HolidaySource
from guichet.sla.timeline import UNBUILT, State, merge, year_intervals
from guichet.sla.zones import DAY, EPOCH, WEEK, get_zone

# get_zone lives in zones.py; it stays importable from here, as before the split.
__all__ = ["MAX_TARGET", "Calendar", "Window", "get_zone"]

_ZERO = timedelta(0)
#: Longest accepted target (business time): anything longer is a typo, not an SLA.
MAX_TARGET = timedelta(days=3653)
_MAX_TARGET_S = MAX_TARGET.total_seconds()
#: Never materialise more than this many years in one go (sparse calendars, huge targets).
MAX_SPAN_YEARS = 120
_MIN_YEAR, _MAX_YEAR = 1900, 9000


def _naive_error(value: object) -> SlaError:
    return NaiveDatetimeError(f"{value!r} has no UTC offset; the SLA core needs aware datetimes")


def _to_utc(value: datetime) -> datetime:
    """Aware datetime -> naive UTC datetime (exact, no float)."""
    off = value.utcoffset()
    if off is None:
        raise _naive_error(value)
    return value.replace(tzinfo=None) - off


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly open window in local wall-clock time, half-open ``[start, end)``.

    Weekdays are 0 (Monday) to 6 (Sunday). A window may cross midnight and span
    days; the 24x5 option is one window ``Window(0, time(0, 1), 4, time(23, 59))``.
    ``end`` before (or equal to) ``start`` on the same weekday wraps to next week.

    >>> Window(0, time(0, 1), 4, time(23, 59)).span
    431880
    >>> Window(4, time(22), 0, time(6)).span // 3600  # Friday night to Monday morning
    56
    """

    start_weekday: int
    start_time: time
    end_weekday: int
    end_time: time

    def __post_init__(self) -> None:
        for wd in (self.start_weekday, self.end_weekday):
            if isinstance(wd, bool) or not isinstance(wd, int) or not 0 <= wd <= 6:
                raise InvalidWindowError(f"weekday must be an integer 0 (Monday) to 6 (Sunday), got {wd!r}")
        for t in (self.start_time, self.end_time):
            if not isinstance(t, time) or isinstance(t, datetime):
                raise InvalidWindowError(f"window times must be datetime.time values, got {t!r}")
            if t.tzinfo is not None:
                raise InvalidWindowError("window times are local wall-clock times: give them no tzinfo")
            if t.microsecond:
                raise InvalidWindowError("window times must be whole seconds")

    @property
    def start_offset(self) -> int:
        """Seconds from Monday 00:00 local to the opening."""
        t = self.start_time
        return self.start_weekday * DAY + t.hour * 3600 + t.minute * 60 + t.second

    @property
    def span(self) -> int:
        """Length of the window in local wall-clock seconds (1 s to one week)."""
        t = self.end_time
        end = self.end_weekday * DAY + t.hour * 3600 + t.minute * 60 + t.second
        return (end - self.start_offset) % WEEK or WEEK

    @classmethod
    def daily(cls, weekdays: Iterable[int], start: time, end: time) -> tuple[Window, ...]:
        """One window per weekday; ``end <= start`` means it closes the next day.

        >>> len(Window.daily(range(5), time(9), time(17)))
        5
        """
        out = []
        for wd in weekdays:
            end_wd = wd if end > start else (wd + 1) % 7
            out.append(cls(wd, start, end_wd, end))
        return tuple(out)

    def describe(self) -> str:
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return (
            f"{names[self.start_weekday]} {self.start_time:%H:%M}"
            f"-{names[self.end_weekday]} {self.end_time:%H:%M}"
        )


_CACHE: dict[tuple[Any, ...], Calendar] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 1024


def _holiday_source(value: HolidaySource | Mapping[date, str] | Iterable[date] | None) -> HolidaySource:
    if value is None:
        return NO_HOLIDAYS
    if isinstance(value, HolidaySource):
        return value
    return HolidaySource.build(extra=value)


class Calendar:
    """A business calendar (cached: equal arguments give the same object).

    ``Calendar(timezone, windows, holidays=None, always_open=False, name=None)``.
    ``holidays`` is a :class:`HolidaySource` (country/subdivision + explicit
    dates) or simply an iterable of dates / a ``{date: name}`` mapping.

    >>> from datetime import date
    >>> c = Calendar("Europe/Paris", Window.daily(range(5), time(9), time(17)), holidays=[date(2026, 7, 14)])
    >>> c is Calendar("Europe/Paris", Window.daily(range(5), time(9), time(17)), holidays=[date(2026, 7, 14)])
    True
    >>> Calendar("UTC", always_open=True).add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=12)).hour
    12
    """

    __slots__ = ("_by_weekday", "_lock", "_st", "_years", "always_open", "holidays", "name", "tz", "windows")

    tz: ZoneInfo
    windows: tuple[Window, ...]
    holidays: HolidaySource
    always_open: bool
    name: str
    _by_weekday: tuple[tuple[tuple[int, int], ...], ...]  # per local weekday: (opening s, span s)
    _lock: threading.RLock
    _years: dict[int, list[tuple[int, int]]]  # UTC year -> its open UTC intervals (epoch s)
    _st: State

    def __new__(
        cls,
        timezone: str | ZoneInfo,
        windows: Iterable[Window] = (),
        holidays: HolidaySource | Mapping[date, str] | Iterable[date] | None = None,
        always_open: bool = False,
        *,
        name: str | None = None,
    ) -> Calendar:
        tz = get_zone(timezone)
        wins = tuple(windows)
        for w in wins:
            if not isinstance(w, Window):
                raise InvalidWindowError(f"expected Window values, got {w!r}")
        source = _holiday_source(holidays)
        if always_open:
            wins, source = (), NO_HOLIDAYS  # 24x7 is plain UTC arithmetic: nothing to close
        elif not wins:
            raise EmptyCalendarError(
                "calendar has no open window: it would never be open (use always_open=True)"
            )
        key = (cls, tz.key, wins, source, bool(always_open), name)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        self.tz, self.windows, self.holidays, self.always_open = tz, wins, source, bool(always_open)
        self.name = name or ("24x7" if always_open else ", ".join(w.describe() for w in wins))
        by_wd: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for w in wins:
            t = w.start_time
            by_wd[w.start_weekday].append((t.hour * 3600 + t.minute * 60 + t.second, w.span))
        self._by_weekday = tuple(tuple(x) for x in by_wd)
        self._lock = threading.RLock()
        self._years = {}
        self._st = UNBUILT
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.pop(next(iter(_CACHE)))
            return _CACHE.setdefault(key, self)

    def __repr__(self) -> str:
        return f"<Calendar {self.name!r} {self.tz.key}>"

    @property
    def timezone(self) -> str:
        """The IANA zone name."""
        return self.tz.key

    # ----------------------------------------------------------------- materialisation

    def _year_intervals(self, year: int) -> list[tuple[int, int]]:
        got = self._years.get(year)
        if got is None:
            got = year_intervals(year, self._by_weekday, self.holidays, self.tz.key)
            self._years[year] = got
        return got

    def _state_for(self, y0: int, y1: int) -> State:
        """Return a state covering UTC years y0..y1 (builds under the lock if needed)."""
        st = self._st
        if st.y0 <= y0 and y1 <= st.y1:
            return st
        with self._lock:
            st = self._st
            if max(y1, st.y1) - min(y0, st.y0) <= MAX_SPAN_YEARS:
                y0, y1 = min(y0, st.y0), max(y1, st.y1)  # else: drop the old, far-away coverage
            if y0 < _MIN_YEAR or y1 > _MAX_YEAR:
                raise SlaError(f"dates must fall between {_MIN_YEAR} and {_MAX_YEAR}")
            if y1 - y0 > MAX_SPAN_YEARS:
                raise InvalidTargetError(
                    f"computation would span more than {MAX_SPAN_YEARS} years of this calendar; "
                    "the target is too long for how little it is open"
                )
            intervals: list[tuple[int, int]] = []
            for y in range(y0, y1 + 1):
                intervals += self._year_intervals(y)
            st = State(y0, y1, merge(intervals))
            self._st = st
            return st

    def _cover(self, *instants: datetime) -> State:
        years = [u.year for u in instants]
        return self._state_for(min(years) - 1, max(years) + 1)

    def _grow(self, st: State) -> State:
        # Double the span forward: total work stays linear in the years really needed.
        y1 = min(st.y1 + max(2, st.y1 - st.y0 + 1), st.y0 + MAX_SPAN_YEARS)
        return self._state_for(st.y0, max(y1, st.y1 + 1))

    # ----------------------------------------------------------------- queries

    def add(self, start: datetime, delta: timedelta) -> datetime:
        """The instant at which ``delta`` of business time has elapsed since ``start``.

        Aware in, aware out (in the calendar's zone). A target used up exactly at
        closing time is due at that closing instant. ``delta == 0`` returns ``start``.
        """
        off = start.utcoffset()
        if off is None:
            raise _naive_error(start)
        if not _ZERO < delta <= MAX_TARGET:
            if delta == _ZERO:
                return start.astimezone(self.tz)
            raise _target_error(delta)
        tz = self.tz
        u = start.replace(tzinfo=None) - off
        if self.always_open:
            r = u + delta
            return tz.fromutc(r.replace(tzinfo=tz))
        st = self._st
        i = bisect_right(st.b, u)
        while True:
            if not 1 < i < st.nb:  # outside the materialised years
                st = self._cover(u)
                i = bisect_right(st.b, u)
            # Inside an open interval F(u) = u - r[k] (r = B - C); in a gap F is C[k].
            target = (u - st.r[i - 1] if i & 1 else st.c[i - 1]) + delta
            c = st.c
            j = bisect_left(c, target)
            if j < st.nb:  # not past the last real interval (the end sentinel's C repeats it)
                r = st.r[j] + target
                return tz.fromutc(r.replace(tzinfo=tz))
            st = self._grow(st)
            i = bisect_right(st.b, u)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (negative if ``end`` is earlier)."""
        oa = start.utcoffset()
        ob = end.utcoffset()
        if oa is None or ob is None:
            raise _naive_error(end if oa is not None else start)
        ua = start.replace(tzinfo=None) - oa
        ub = end.replace(tzinfo=None) - ob
        if self.always_open:
            return ub - ua
        st = self._st
        b = st.b
        i = bisect_right(b, ua)
        j = bisect_right(b, ub)
        if not (1 < i < st.nb and 1 < j < st.nb):  # outside the materialised years
            st = self._cover(ua, ub)
            b = st.b
            i = bisect_right(b, ua)
            j = bisect_right(b, ub)
        c, r = st.c, st.r
        return (ub - r[j - 1] if j & 1 else c[j - 1]) - (ua - r[i - 1] if i & 1 else c[i - 1])

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` is inside business hours (windows are half-open)."""
        u = _to_utc(at)
        if self.always_open:
            return True
        st = self._st
        if not st.lo <= u < st.hi:
            st = self._cover(u)
        return bool(bisect_right(st.b, u) & 1)

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself if open, else the next opening instant (in the calendar's zone)."""
        u = _to_utc(at)
        tz = self.tz
        if self.always_open:
            return at.astimezone(tz)
        st = self._st
        if not st.lo <= u < st.hi:
            st = self._cover(u)
        while True:
            i = bisect_right(st.b, u)
            if i & 1:
                return at.astimezone(tz)
            if i < st.nb - 1:  # b[i] is a real opening, not the end sentinel
                return st.b[i].replace(tzinfo=UTC).astimezone(tz)
            st = self._grow(st)

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Open intervals intersected with ``[start, end)``, as aware pairs in the calendar's zone.

        >>> from zoneinfo import ZoneInfo
        >>> ny = ZoneInfo("America/New_York")
        >>> c = Calendar("America/New_York", Window.daily(range(5), time(8), time(17)))
        >>> [(a.hour, b.hour) for a, b in c.open_intervals(datetime(2026, 3, 6, tzinfo=ny),
        ...                                                  datetime(2026, 3, 10, tzinfo=ny))]
        [(8, 17), (8, 17)]
        """
        ua, ub = _to_utc(start), _to_utc(end)
        tz = self.tz
        if ub <= ua:
            return []
        if self.always_open:
            return [(start.astimezone(tz), end.astimezone(tz))]
        st = self._cover(ua, ub)
        b = st.b
        i = bisect_right(b, ua)
        if not i & 1:
            i += 1  # i now indexes the end of the interval containing or after ua
        out = []
        while i < len(b) and b[i - 1] < ub:
            s, e = max(b[i - 1], ua), min(b[i], ub)
            if s < e:
                out.append((s.replace(tzinfo=UTC).astimezone(tz), e.replace(tzinfo=UTC).astimezone(tz)))
            i += 2
        return out

    # ----------------------------------------------------------------- batch forms

    def add_many(self, starts: Sequence[datetime], deltas: Sequence[timedelta] | timedelta) -> list[datetime]:
        """``[add(s, d) ...]`` for many tickets at once (same results as :meth:`add`)."""
        if isinstance(deltas, timedelta):
            deltas = [deltas] * len(starts)
        if len(deltas) != len(starts):
            raise ValueError("starts and deltas must have the same length")
        add = self.add
        return [add(s, d) for s, d in zip(starts, deltas, strict=True)]

    def add_many_epoch(self, starts: Sequence[float], deltas: Sequence[float] | float) -> list[float]:
        """Batch ``add`` on POSIX timestamps and seconds of business time.

        Exact for whole seconds (all values stay integers below 2**53); sub-second
        inputs are exact to float precision. Results equal :meth:`add`'s timestamps.
        Integer timestamps and seconds take the fastest path and give integers back.

        >>> c = Calendar("UTC", Window.daily(range(5), time(9), time(17)))
        >>> friday_4pm = datetime(2026, 7, 10, 16, tzinfo=UTC).timestamp()
        >>> datetime.fromtimestamp(c.add_many_epoch([friday_4pm], 7200)[0], UTC).isoformat()
        '2026-07-13T10:00:00+00:00'
        """
        n = len(starts)
        if not n:
            return []
        if isinstance(deltas, (int, float)):
            deltas = [deltas] * n
        if len(deltas) != n:
            raise ValueError("starts and deltas must have the same length")
        dmin, dmax = min(deltas), max(deltas)
        if not (dmin >= 0 and dmax <= _MAX_TARGET_S):  # also rejects NaN
            raise _target_error(timedelta(seconds=dmin if not dmin >= 0 else dmax))
        tmin, tmax = min(starts), max(starts)
        # min/max skip a NaN that is not first; a sum is NaN/inf if any item is (~3 ns/item).
        if not math.isfinite(sum(starts) + sum(deltas)):
            raise SlaError("timestamps and seconds must be finite numbers")
        if self.always_open:
            return [t + d for t, d in zip(starts, deltas, strict=True)]
        st = self._st
        if not (st.lof <= tmin and tmax < st.hif):
            try:
                first, last = EPOCH + timedelta(seconds=tmin), EPOCH + timedelta(seconds=tmax)
            except OverflowError:
                raise SlaError(f"timestamps must fall between {_MIN_YEAR} and {_MAX_YEAR}") from None
            st = self._cover(first, last)
        out: list[float]
        x: float  # the walrus targets below bind in this scope
        bf: Sequence[float]
        cf: Sequence[float]
        q: Sequence[float]
        rf: Sequence[float]
        while True:
            # F(t) = t*p[i] + q[i] is business seconds before t; the due time is the
            # first boundary reaching x = F + d, shifted back by the excess (rf = B - C).
            tables = st.tables()
            try:
                if tables is not None:
                    g, off, pb, qb, lc, pbi, qbi, lci = tables
                    try:
                        # All-int inputs: no int() calls, exact integers out. A float anywhere
                        # makes a list index fail with TypeError: then take the float loop.
                        gm1 = g - 1  # ceil(x / g) == (x + g - 1) // g for integers
                        istarts, ideltas = cast("Sequence[int]", starts), cast("Sequence[int]", deltas)
                        out = [
                            (x := t * pbi[(k := (t - off) // g)] + qbi[k] + d) + lci[(x + gm1) // g]
                            for t, d in zip(istarts, ideltas)  # noqa: B905 - lengths checked above
                        ]
                    except TypeError:
                        out = [
                            (x := t * pb[(k := int(t - off) // g)] + qb[k] + d) + lc[-int(-x // g)]
                            for t, d in zip(starts, deltas)  # noqa: B905 - lengths checked above
                        ]
                else:
                    if type(starts[0]) is int:
                        bf, cf, p, q, rf = st.bi, st.ci, st.p, st.qi, st.rfi
                    else:
                        bf, cf, p, q, rf = st.bf, st.cf, st.p, st.q, st.rf
                    out = [
                        (x := t * p[(i := bisect_right(bf, t))] + q[i] + d) + rf[bisect_left(cf, x)]
                        for t, d in zip(starts, deltas)  # noqa: B905 - lengths checked above
                    ]
            except IndexError:
                st = self._grow(st)
                continue
            except (ValueError, OverflowError):  # int(nan), int(inf)
                raise SlaError("timestamps and seconds must be finite numbers") from None
            if dmin == 0:
                out = [t if d == 0 else r for t, d, r in zip(starts, deltas, out, strict=True)]
            return out

    def between_many(self, starts: Sequence[datetime], ends: Sequence[datetime]) -> list[timedelta]:
        """``[between(a, b) ...]`` for many pairs."""
        between = self.between
        return [between(a, b) for a, b in zip(starts, ends, strict=True)]

    # ----------------------------------------------------------------- explain

    def explain(self, start: datetime, delta: timedelta) -> Explanation:
        """Why ``add(start, delta)`` is what it is: intervals consumed, days skipped."""
        due = self.add(start, delta)
        return self.explain_span(start, due, delta)

    def explain_span(
        self,
        start: datetime,
        due: datetime | None,
        target: timedelta,
        pauses: Sequence[tuple[datetime, datetime | None]] = (),
        until: datetime | None = None,
    ) -> Explanation:
        """Explanation of the business time between ``start`` and ``due`` minus ``pauses``."""
        tz = self.tz
        end = due if due is not None else until if until is not None else start
        spans = [(start, end)]
        for ps, pe in sorted(pauses, key=lambda p: _to_utc(p[0])):
            last_s, last_e = spans[-1]
            pe_ = pe if pe is not None else end
            if _to_utc(pe_) <= _to_utc(last_s) or _to_utc(ps) >= _to_utc(last_e):
                continue
            spans[-1] = (last_s, ps)
            spans.append((pe_, last_e))
        intervals: list[tuple[datetime, datetime]] = []
        for a, b in spans:
            intervals += self.open_intervals(a, b)
        hols: tuple[tuple[date, str], ...] = ()
        closed: tuple[date, ...] = ()
        first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
        if not self.always_open and last >= first:
            day_start = datetime.combine(first, time(0), tz)
            day_end = datetime.combine(last + timedelta(days=1), time(0), tz)
            open_days = set()
            for a, b in self.open_intervals(day_start, day_end):
                d = a.date()
                while d <= (b - timedelta(microseconds=1)).date():
                    open_days.add(d)
                    d += timedelta(days=1)
            raw = self.holidays.between(first, last) if not self.holidays.empty else {}
            window_days = {w.start_weekday for w in self.windows} | {
                (w.start_weekday + k) % 7 for w in self.windows for k in range(1, w.span // DAY + 1)
            }
            hols = tuple((d, n) for d, n in raw.items() if d.weekday() in window_days)
            closed = tuple(
                first + timedelta(days=k)
                for k in range((last - first).days + 1)
                if first + timedelta(days=k) not in open_days and first + timedelta(days=k) not in raw
            )
        return Explanation(
            timezone=tz.key,
            calendar=self.name,
            start=start.astimezone(tz),
            target=target,
            due=due.astimezone(tz) if due is not None else None,
            intervals=tuple(intervals),
            holidays=hols,
            closed_days=closed,
            pauses=tuple((a.astimezone(tz), b.astimezone(tz) if b else None) for a, b in pauses),
        )


def _target_error(delta: object) -> SlaError:
    if not isinstance(delta, timedelta):
        return InvalidTargetError(f"target must be a timedelta, got {delta!r}")
    if delta < _ZERO:
        return InvalidTargetError(f"target must not be negative, got {delta}")
    return InvalidTargetError(f"target {delta} is longer than the 10-year maximum")
