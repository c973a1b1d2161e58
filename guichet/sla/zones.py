"""Time zones for the SLA core: IANA zone lookup and a zone's constant-offset UTC segments.

A calendar's windows are local wall-clock rules; to evaluate them exactly in UTC, each UTC year of
a zone is split into segments of constant UTC offset. Offsets are sampled every 3 hours and each
change is then bisected to the second (transitions are whole seconds), so gaps and repeated hours
are found exactly. Segments are cached per zone and year.

>>> from datetime import UTC
>>> segs = offset_segments("Europe/Paris", 2026)
>>> [(o // 3600) for _s, _e, o in segs]  # CET, CEST from 29 March, CET from 25 October
[1, 2, 1]
>>> datetime.fromtimestamp(segs[1][0], UTC).isoformat()
'2026-03-29T01:00:00+00:00'
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guichet.sla.errors import UnknownTimezoneError

__all__ = ["DAY", "EPOCH", "EPOCH_ORDINAL", "WEEK", "get_zone", "offset_segments", "utc_year_start"]

DAY = 86_400
WEEK = 7 * DAY
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Naive UTC epoch: the fast paths work on naive UTC datetimes (exact, cheap to compare).
EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001
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


def utc_year_start(year: int) -> int:
    """POSIX seconds of 1 January ``year`` 00:00 UTC."""
    return (date(year, 1, 1).toordinal() - EPOCH_ORDINAL) * DAY


def _offset_at(tz: ZoneInfo, u: int) -> int:
    off = datetime.fromtimestamp(u, tz).utcoffset()
    assert off is not None
    return off.days * DAY + off.seconds


@lru_cache(maxsize=4096)
def offset_segments(key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """Constant-offset UTC segments ``(start, end, offset_s)`` covering one UTC year."""
    tz = ZoneInfo(key)
    ys, ye = utc_year_start(year), utc_year_start(year + 1)
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
