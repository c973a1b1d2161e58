"""The support-hours presets of the plans (R-HOURS) and ``calendar_for``.

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> cal = calendar_for("8x5", "worldwide", "Europe/Paris", "FR")
>>> cal.add(datetime(2026, 7, 10, 16, tzinfo=ZoneInfo("Europe/Paris")), timedelta(hours=2)).isoformat()
'2026-07-13T10:00:00+02:00'
>>> cal is calendar_for("8x5", "worldwide", "Europe/Paris", "FR")
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, time
from functools import lru_cache

from guichet.sla.calendar import Calendar, Window
from guichet.sla.errors import InvalidChoiceError
from guichet.sla.holidays_source import ExtraHolidays, HolidaySource

__all__ = ["HOURS_24X5", "NORTH_AMERICA_8X5", "WORLDWIDE_8X5", "Hours", "Region", "calendar_for"]


class Hours(enum.StrEnum):
    """Support-hours kinds (R-HOURS)."""

    H8X5 = "8x5"
    H24X5 = "24x5"
    H24X7 = "24x7"


class Region(enum.StrEnum):
    """Regions whose 8x5 business hours differ (R-HOURS-1, R-HOURS-2)."""

    WORLDWIDE = "worldwide"
    NORTH_AMERICA = "north-america"


#: R-HOURS-1: Monday to Friday 09:00-17:00 local, holidays closed.
WORLDWIDE_8X5 = Window.daily(range(5), time(9), time(17))
#: R-HOURS-2: Monday to Friday 08:00-17:00 local, holidays closed.
NORTH_AMERICA_8X5 = Window.daily(range(5), time(8), time(17))
#: R-HOURS-3: one continuous window Monday 00:01 to Friday 23:59, taken literally, no holidays.
HOURS_24X5 = (Window(0, time(0, 1), 4, time(23, 59)),)


def choice[E: enum.StrEnum](kind: type[E], value: E | str, label: str) -> E:
    """Parse an enum value with a clear error listing the accepted values.

    >>> choice(Hours, "24X5", "hours")
    <Hours.H24X5: '24x5'>
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        wanted = value.strip().lower().replace("_", "-")
        for member in kind:
            if member.value == wanted or member.name.lower() == wanted:
                return member
    accepted = ", ".join(m.value for m in kind)
    raise InvalidChoiceError(f"unknown {label} {value!r} (expected one of: {accepted})")


def calendar_for(
    hours: Hours | str,
    region: Region | str,
    timezone: str,
    country: str,
    subdivision: str | None = None,
    *,
    extra_holidays: ExtraHolidays = (),
    removed_holidays: Iterable[date] = (),
) -> Calendar:
    """The calendar of a support-hours kind in a customer's zone and holiday country.

    8x5 uses the region's window and closes the country's (and subdivision's)
    public holidays plus ``extra_holidays`` minus ``removed_holidays``; 24x5 and
    24x7 have no holidays. The country is validated in every case. Cached.
    """
    extra: tuple[date | tuple[date, str], ...]
    if isinstance(extra_holidays, dict):
        extra = tuple(sorted(extra_holidays.items()))
    else:  # [date, name] lists (e.g. from JSON) become hashable tuples for the cache key
        extra = tuple(tuple(x) if isinstance(x, list) else x for x in extra_holidays)
    return _calendar_for(
        choice(Hours, hours, "hours"),
        choice(Region, region, "region"),
        timezone,
        country,
        subdivision or None,
        extra,
        frozenset(removed_holidays),
    )


@lru_cache(maxsize=2048)
def _calendar_for(
    hours: Hours,
    region: Region,
    timezone: str,
    country: str,
    subdivision: str | None,
    extra: tuple[date | tuple[date, str], ...],
    removed: frozenset[date],
) -> Calendar:
    source = HolidaySource.build(country, subdivision, extra, removed)  # validates the country
    if hours is Hours.H24X7:
        return Calendar(timezone, always_open=True, name="24x7")
    if hours is Hours.H24X5:
        return Calendar(timezone, HOURS_24X5, name="24x5 (Mon 00:01 - Fri 23:59)")
    windows = WORLDWIDE_8X5 if region is Region.WORLDWIDE else NORTH_AMERICA_8X5
    span = "09:00-17:00" if region is Region.WORLDWIDE else "08:00-17:00"
    assert source.country is not None  # built from a country just above
    where = source.country + (f"-{source.subdivision}" if source.subdivision else "")
    return Calendar(timezone, windows, source, name=f"8x5 {region.value} (Mon-Fri {span}, {where} holidays)")
