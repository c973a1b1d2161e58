"""A calendar's time line in UTC: open intervals per UTC year, then the lists the queries search.

Per UTC year, and lazily, ``year_intervals`` turns a calendar into UTC open intervals:

1. generate the local windows of the local days that can touch the year, merge them and
   subtract the holidays (whole local days);
2. a local interval ``[a, b)`` is open at UTC ``u`` iff ``a <= u + offset(u) < b``, i.e.
   ``[a - o, b - o)`` clipped to each constant-offset segment of offset ``o`` (zones.py): exact
   for skipped and repeated hours.

``State`` concatenates the years into a flat sorted list ``B`` of UTC boundaries (with
zero-length sentinels at both ends) and a parallel list ``C`` of cumulative business time, plus
``R = B - C``, their float and integer mirrors for the epoch-seconds batch, and (lazily) the
direct-index batch tables. A state is immutable once published; ``Calendar`` swaps them.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal, cast

from guichet.sla.holidays_source import HolidaySource
from guichet.sla.zones import DAY, EPOCH, EPOCH_ORDINAL, offset_segments, utc_year_start

__all__ = ["UNBUILT", "State", "Tables", "merge", "subtract", "year_intervals"]

#: Largest batch lookup table (buckets); bigger calendars use two bisects per item instead.
#: 8x5 on whole hours needs ~32k for three years; each bucket costs ~160 bytes.
_TABLES_MAX = 60_000


def merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of ``intervals`` (sorts the given list in place)."""
    intervals.sort()
    out: list[tuple[int, int]] = []
    for s, e in intervals:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def subtract(opens: list[tuple[int, int]], closed: list[tuple[int, int]]) -> list[tuple[int, int]]:
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


def year_intervals(
    year: int,
    by_weekday: Sequence[Sequence[tuple[int, int]]],
    holidays: HolidaySource,
    zone: str,
) -> list[tuple[int, int]]:
    """The open UTC intervals (POSIX seconds, sorted, merged) of one UTC year.

    ``by_weekday[wd]`` lists the windows opening on local weekday ``wd`` (0 is Monday) as
    ``(seconds after local midnight, length in seconds)``; ``holidays`` close whole local days.

    >>> from datetime import UTC
    >>> from guichet.sla.holidays_source import NO_HOLIDAYS
    >>> nine_to_five = [[(9 * 3600, 8 * 3600)]] * 5 + [[], []]
    >>> iv = year_intervals(2026, nine_to_five, NO_HOLIDAYS, "Europe/Paris")
    >>> [datetime.fromtimestamp(x, UTC).isoformat() for x in iv[0]]  # Thursday 1 January, 09-17 CET
    ['2026-01-01T08:00:00+00:00', '2026-01-01T16:00:00+00:00']
    >>> len(iv)  # Monday-Friday, 52 weeks and a day (no holidays given)
    261
    """
    ys, ye = utc_year_start(year), utc_year_start(year + 1)
    # Local days from 9 days before to 2 after the UTC year: windows last < 1 week
    # and offsets are < 26 h, so every local opening that can reach the year is seen.
    d0 = date(year, 1, 1).toordinal() - 9
    d1 = date(year + 1, 1, 1).toordinal() + 2
    local: list[tuple[int, int]] = []
    for ordinal in range(d0, d1):
        base = (ordinal - EPOCH_ORDINAL) * DAY
        for off, span in by_weekday[(ordinal - 1) % 7]:  # date.fromordinal(1) is a Monday
            local.append((base + off, base + off + span))
    local = merge(local)
    if not holidays.empty:
        days = holidays.between(date.fromordinal(d0), date.fromordinal(d1 + 7))
        starts = [(d.toordinal() - EPOCH_ORDINAL) * DAY for d in days]
        closed = merge([(x, x + DAY) for x in starts])
        local = subtract(local, closed)
    # Local wall-clock interval [a, b) is open at UTC u iff a <= u + offset(u) < b:
    # per constant-offset segment that is [a - o, b - o) clipped to the segment.
    out: list[tuple[int, int]] = []
    segs = offset_segments(zone, year)
    for a, b in local:
        if a - 93_600 >= ye or b + 93_600 <= ys:
            continue  # entirely outside the UTC year whatever the offset (< 26 h)
        for ss, se, o in segs:
            lo, hi = max(a - o, ss), min(b - o, se)
            if lo < hi:
                out.append((lo, hi))
    return merge(out)


Tables = tuple[int, int, list[int], list[float], list[float], list[int], list[int], list[int]]


class State:
    """Materialised UTC years ``y0..y1`` (immutable once published; swapped atomically)."""

    __slots__ = (
        "_tables", "b", "bf", "bi", "c", "cf", "ci", "hi", "hif", "lo", "lof", "nb", "p", "q", "qi", "r",
        "rf", "rfi", "y0", "y1",
    )  # fmt: skip

    def __init__(self, y0: int, y1: int, intervals: list[tuple[int, int]]) -> None:
        self.y0, self.y1 = y0, y1
        lo, hi = utc_year_start(y0), utc_year_start(y1 + 1)
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
        self.lo, self.hi = EPOCH + timedelta(seconds=lo), EPOCH + timedelta(seconds=hi)
        self.lof, self.hif = float(lo), float(hi)
        self.b = [EPOCH + timedelta(seconds=x) for x in bs]
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
        self._tables: Tables | Literal[False] | None = None  # False: too big to build

    def tables(self) -> Tables | None:
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

    lo = hi = EPOCH
    lof = hif = 0.0
    nb = 0
    b: list[datetime] = []
    y0, y1 = 10**6, -(10**6)


# Duck-typed: the queries only read lo/hi/lof/hif/nb/b/y0/y1 before finding it covers nothing.
UNBUILT = cast("State", _Unbuilt())
