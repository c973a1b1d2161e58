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
Cost does not depend on the length of a target.

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
from functools import lru_cache
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guichet.sla.errors import (
    EmptyCalendarError,
    InvalidTargetError,
    InvalidWindowError,
    NaiveDatetimeError,
    SlaError,
    UnknownTimezoneError,
)
from guichet.sla.explain import Explanation
from guichet.sla.holidays_source import NO_HOLIDAYS, HolidaySource

__all__ = ["MAX_TARGET", "Calendar", "Window", "get_zone"]

DAY = 86_400
WEEK = 7 * DAY
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Naive UTC: the fast paths work on naive UTC datetimes (exact, cheap to compare).
_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001
_ZERO = timedelta(0)
#: Longest accepted target (business time): anything longer is a typo, not an SLA.
MAX_TARGET = timedelta(days=3653)
_MAX_TARGET_S = MAX_TARGET.total_seconds()
#: Never materialise more than this many years in one go (sparse calendars, huge targets).
MAX_SPAN_YEARS = 120
_MIN_YEAR, _MAX_YEAR = 1900, 9000
#: Largest batch lookup table (buckets); bigger calendars use two bisects per item instead.
#: 8x5 on whole hours needs ~32k for three years; each bucket costs ~160 bytes.
_TABLES_MAX = 60_000
_SAMPLE = 3 * 3600  # zone offsets are sampled every 3 h, transitions then bisected to the second


def get_zone(name: str | ZoneInfo) -> ZoneInfo:
    """Return the ``ZoneInfo`` for an IANA name, or raise ``UnknownTimezoneError``.

    >>> get_zone("Asia/Kathmandu").key
    'Asia/Kathmandu'
    """
    if isinstance(name, ZoneInfo):
        return name
    if not isinstance(name, str) or not name.strip():
        raise UnknownTimezoneError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimezoneError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)"
        ) from None


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


_Tables = tuple[int, int, list[int], list[float], list[float], list[int], list[int], list[int]]


class _State:
    """Materialised UTC years ``y0..y1`` (immutable once published; swapped atomically)."""

    __slots__ = (
        "_tables", "b", "bf", "bi", "c", "cf", "ci", "hi", "hif", "lo", "lof", "nb", "p", "q", "qi", "r",
        "rf", "rfi", "y0", "y1",
    )  # fmt: skip

    def __init__(self, y0: int, y1: int, intervals: list[tuple[int, int]]) -> None:
        self.y0, self.y1 = y0, y1
        lo, hi = _utc_year_start(y0), _utc_year_start(y1 + 1)
        # Zero-length sentinel intervals at ``lo`` and ``hi``: an instant is covered iff
        # 2 <= bisect_right(B, u) <= len(B) - 2, one check after the search (no C[-1] wrap).
        bs = [lo, lo]
        cs = [0, 0]
        acc = 0
        for s, e in intervals:
            bs += (s, e)
            cs += (acc, acc + e - s)
            acc += e - s
        bs += (hi, hi)
        cs += (acc, acc)
        self.nb = len(bs) - 1
        self.lo, self.hi = _EPOCH + timedelta(seconds=lo), _EPOCH + timedelta(seconds=hi)
        self.lof, self.hif = float(lo), float(hi)
        self.b = [_EPOCH + timedelta(seconds=x) for x in bs]
        self.c = [timedelta(seconds=x) for x in cs]
        self.r = [b - c for b, c in zip(self.b, self.c, strict=True)]
        # Float mirrors for the epoch-seconds batch: F(t) = t*p[i] + q[i]; due = T + rf[j].
        self.bf = [float(x) for x in bs]
        self.cf = [float(x) for x in cs]
        self.p = [i & 1 for i in range(len(bs))]
        self.q = [0.0] + [
            float(cs[i - 1] - bs[i - 1]) if i & 1 else float(cs[i - 1]) for i in range(1, len(bs))
        ]
        # bisect_right returns len(bs) after the last boundary: closed, F = C[-1].
        self.p.append(0)
        self.q.append(float(cs[-1]))
        self.rf = [float(b - c) for b, c in zip(bs, cs, strict=True)]
        # Integer twins: int timestamps stay in exact int arithmetic and give ints back.
        self.bi, self.ci = bs, cs
        self.qi = [int(x) for x in self.q]
        self.rfi = [b - c for b, c in zip(bs, cs, strict=True)]
        self._tables: _Tables | Literal[False] | None = None  # False: too big to build

    def tables(self) -> _Tables | None:
        """Direct-index tables replacing both bisects in the batch form (or None if too big).

        Every boundary and every cumulative sum is a multiple of ``g`` (their gcd, e.g.
        3600 s for whole-hour windows in a whole-hour zone), so within one ``g``-bucket
        ``bisect_right`` cannot change: ``i = bisect_right(B, floor(t/g)*g)``; likewise
        ``bisect_left(C, x) == bisect_left(C, ceil(x/g)*g)``. Exact, just precomputed.
        """
        if self._tables is None:
            ints = [int(x) for x in self.bf] + [int(x) for x in self.cf]
            g = 0
            for x in ints:
                g = math.gcd(g, x)
            lo, hi, cmax = int(self.lof), int(self.hif), int(self.cf[-1])
            if g == 0 or (hi - lo) // g + cmax // g > _TABLES_MAX:
                self._tables = False
            else:
                bf, cf, p, q, rf = self.bf, self.cf, self.p, self.q, self.rf
                idx = [bisect_right(bf, float(lo + k * g)) for k in range((hi - lo) // g + 1)]
                pb = [p[i] for i in idx]
                qb = [q[i] for i in idx]
                lc = [rf[bisect_left(cf, float(m * g))] for m in range(cmax // g + 1)]
                # Integer twins: with int timestamps the whole loop stays in exact int arithmetic.
                ints_ = ([int(x) for x in pb], [int(x) for x in qb], [int(x) for x in lc])
                self._tables = (g, lo, pb, qb, lc, *ints_)
        return self._tables or None


class _Unbuilt:
    """Placeholder state: covers nothing, so the first query materialises (no None checks)."""

    lo = hi = _EPOCH
    lof = hif = 0.0
    nb = 0
    b: list[datetime] = []
    y0, y1 = 10**6, -(10**6)


# Duck-typed: the queries only read lo/hi/lof/hif/nb/b/y0/y1 before finding it covers nothing.
_UNBUILT = cast("_State", _Unbuilt())


def _utc_year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    intervals.sort()
    out: list[tuple[int, int]] = []
    for s, e in intervals:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(opens: list[tuple[int, int]], closed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``opens`` minus ``closed`` (both sorted and merged)."""
    out: list[tuple[int, int]] = []
    j = 0
    for s, e in opens:
        while j < len(closed) and closed[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(closed) and closed[k][0] < e:
            cs, ce = closed[k]
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def _offset_at(tz: ZoneInfo, u: int) -> int:
    off = datetime.fromtimestamp(u, tz).utcoffset()
    assert off is not None
    return off.days * DAY + off.seconds


@lru_cache(maxsize=4096)
def _offset_segments(key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """Constant-offset UTC segments ``(start, end, offset_s)`` covering one UTC year."""
    tz = ZoneInfo(key)
    ys, ye = _utc_year_start(year), _utc_year_start(year + 1)
    points = [*range(ys, ye, _SAMPLE), ye - 1]
    segs: list[tuple[int, int, int]] = []
    seg_start, cur, prev = ys, _offset_at(tz, ys), ys
    idx = 1
    while idx < len(points):
        u = points[idx]
        if _offset_at(tz, u) == cur:
            prev = u
            idx += 1
            continue
        # First second with another offset, by bisection (transitions are whole seconds).
        a, b = prev, u
        while b - a > 1:
            m = (a + b) // 2
            if _offset_at(tz, m) == cur:
                a = m
            else:
                b = m
        segs.append((seg_start, b, cur))
        seg_start, cur, prev = b, _offset_at(tz, b), b
        # idx is not advanced: u is checked again against the new offset.
    segs.append((seg_start, ye, cur))
    return tuple(segs)


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
    _st: _State

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
        self._st = _UNBUILT
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
        if got is not None:
            return got
        ys, ye = _utc_year_start(year), _utc_year_start(year + 1)
        # Local days from 9 days before to 2 after the UTC year: windows last < 1 week
        # and offsets are < 26 h, so every local opening that can reach the year is seen.
        d0 = date(year, 1, 1).toordinal() - 9
        d1 = date(year + 1, 1, 1).toordinal() + 2
        local: list[tuple[int, int]] = []
        by_wd = self._by_weekday
        for ordinal in range(d0, d1):
            base = (ordinal - _EPOCH_ORDINAL) * DAY
            for off, span in by_wd[(ordinal - 1) % 7]:  # date.fromordinal(1) is a Monday
                local.append((base + off, base + off + span))
        local = _merge(local)
        if not self.holidays.empty:
            days = self.holidays.between(date.fromordinal(d0), date.fromordinal(d1 + 7))
            starts = [(d.toordinal() - _EPOCH_ORDINAL) * DAY for d in days]
            closed = _merge([(x, x + DAY) for x in starts])
            local = _subtract(local, closed)
        # Local wall-clock interval [a, b) is open at UTC u iff a <= u + offset(u) < b:
        # per constant-offset segment that is [a - o, b - o) clipped to the segment.
        out: list[tuple[int, int]] = []
        segs = _offset_segments(self.tz.key, year)
        for a, b in local:
            if a - 93_600 >= ye or b + 93_600 <= ys:
                continue  # entirely outside the UTC year whatever the offset (< 26 h)
            for ss, se, o in segs:
                lo, hi = max(a - o, ss), min(b - o, se)
                if lo < hi:
                    out.append((lo, hi))
        out = _merge(out)
        self._years[year] = out
        return out

    def _state_for(self, y0: int, y1: int) -> _State:
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
            st = _State(y0, y1, _merge(intervals))
            self._st = st
            return st

    def _cover(self, *instants: datetime) -> _State:
        years = [u.year for u in instants]
        return self._state_for(min(years) - 1, max(years) + 1)

    def _grow(self, st: _State) -> _State:
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
                first, last = _EPOCH + timedelta(seconds=tmin), _EPOCH + timedelta(seconds=tmax)
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
