"""Holidays as whole local days, materialised lazily one year at a time.

A :class:`HolidaySource` is hashable (it is part of a calendar's cache key) and
combines the ``holidays`` package (country + subdivision) with explicit extra
and removed dates.

>>> from datetime import date
>>> fr = HolidaySource(country="FR")
>>> fr.for_year(2026)[date(2026, 7, 14)]
'Fête nationale'
>>> HolidaySource(extra=((date(2026, 12, 24), "Office closed"),)).for_year(2026)
{datetime.date(2026, 12, 24): 'Office closed'}
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import holidays as holidays_pkg

from guichet.sla.errors import UnknownCountryError, UnknownSubdivisionError

ExtraHolidays = Mapping[date, str] | Iterable[date | tuple[date, str]]


@cache
def _supported() -> dict[str, list[str]]:
    return holidays_pkg.list_supported_countries()


def normalise_country(country: str, subdivision: str | None = None) -> tuple[str, str | None]:
    """Validate a country code (and subdivision) and return their canonical spelling.

    >>> normalise_country("fr")
    ('FR', None)
    >>> normalise_country("US", "California")
    ('US', 'CA')
    >>> normalise_country("ZZ")
    Traceback (most recent call last):
    ...
    guichet.sla.errors.UnknownCountryError: unknown holiday country 'ZZ' (use an ISO code such as FR or US)
    """
    if not isinstance(country, str) or not country.strip():
        raise UnknownCountryError(f"unknown holiday country {country!r} (use an ISO code such as FR or US)")
    code = country.strip().upper()
    supported = _supported()
    if code not in supported:
        raise UnknownCountryError(f"unknown holiday country {country!r} (use an ISO code such as FR or US)")
    if subdivision is None or subdivision == "":
        return code, None
    if not isinstance(subdivision, str):
        raise UnknownSubdivisionError(f"unknown subdivision {subdivision!r} for country {code}")
    subdivs = supported[code]
    if subdivision in subdivs:
        return code, subdivision
    # The package also accepts full names ("California") as aliases.
    aliases: dict[str, str] = getattr(holidays_pkg.country_holidays(code), "subdivisions_aliases", {}) or {}
    for name, sub in aliases.items():
        if name.lower() == subdivision.lower():
            return code, sub
    for sub in subdivs:
        if sub.lower() == subdivision.lower():
            return code, sub
    shown = ", ".join(subdivs[:12]) + (", ..." if len(subdivs) > 12 else "")
    raise UnknownSubdivisionError(
        f"unknown subdivision {subdivision!r} for country {code}"
        + (f" (known: {shown})" if subdivs else " (this country has no subdivisions)")
    )


def _normalise_extra(extra: ExtraHolidays) -> tuple[tuple[date, str], ...]:
    items: list[tuple[date, str]] = []
    source = extra.items() if isinstance(extra, Mapping) else extra
    for item in source:
        if isinstance(item, tuple):
            day, name = item
        else:
            day, name = item, "Holiday"
        if not isinstance(day, date) or hasattr(day, "hour"):
            raise TypeError(f"holidays must be datetime.date values, got {day!r}")
        items.append((day, str(name)))
    return tuple(sorted(set(items)))


@dataclass(frozen=True, slots=True)
class HolidaySource:
    """Where a calendar's closed days come from.

    ``country``/``subdivision`` use the ``holidays`` package; ``extra`` adds named
    dates; ``removed`` re-opens dates (e.g. a holiday the contract does not observe).
    """

    country: str | None = None
    subdivision: str | None = None
    extra: tuple[tuple[date, str], ...] = ()
    removed: frozenset[date] = frozenset()
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, hash=False, repr=False)
    _years: dict[int, dict[date, str]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def build(
        cls,
        country: str | None = None,
        subdivision: str | None = None,
        extra: ExtraHolidays = (),
        removed: Iterable[date] = (),
    ) -> HolidaySource:
        """Validate and normalise the inputs (country codes, alias subdivisions, dates)."""
        if country is not None:
            country, subdivision = normalise_country(country, subdivision)
        elif subdivision:
            raise UnknownSubdivisionError("a subdivision needs a country")
        return cls(country, subdivision, _normalise_extra(extra), frozenset(removed))

    @property
    def empty(self) -> bool:
        """True when no date can ever be a holiday."""
        return self.country is None and not self.extra

    def for_year(self, year: int) -> dict[date, str]:
        """The holidays of one local year, ``{date: name}`` (cached)."""
        got = self._years.get(year)
        if got is not None:
            return got
        with self._lock:
            result: dict[date, str] = {}
            if self.country is not None:
                pkg = holidays_pkg.country_holidays(self.country, subdiv=self.subdivision, years=year)
                result.update(pkg.items())
            for day, name in self.extra:
                if day.year == year:
                    result[day] = f"{result[day]}; {name}" if day in result and result[day] != name else name
            for day in self.removed:
                result.pop(day, None)
            self._years[year] = result
            return result

    def between(self, first: date, last: date) -> dict[date, str]:
        """Holidays with ``first <= date <= last``."""
        out: dict[date, str] = {}
        for year in range(first.year, last.year + 1):
            for day, name in self.for_year(year).items():
                if first <= day <= last:
                    out[day] = name
        return dict(sorted(out.items()))


NO_HOLIDAYS = HolidaySource()


def _language_for(country: str, language: str, supported: Iterable[str]) -> str | None:
    """The `holidays` package's name for `language` ("fr", "en") in `country`: the language itself,
    else its variant for the country ("en_CA"), else its first variant ("en_US"); None if none."""
    offered = list(supported)
    base = language.split("-")[0].split("_")[0].lower()
    if base in offered:
        return base
    variants = [code for code in offered if code.lower().startswith(f"{base}_")]
    for code in variants:
        if code.upper().endswith(f"_{country.upper()}"):
            return code
    return variants[0] if variants else None


@cache
def _named_in(
    country: str, subdivision: str | None, years: tuple[int, ...], language: str
) -> dict[date, str]:
    probe = holidays_pkg.country_holidays(country, subdiv=subdivision, years=years[0])
    wanted = _language_for(country, language, getattr(probe, "supported_languages", ()) or ())
    if wanted is None:
        return {}
    named = holidays_pkg.country_holidays(country, subdiv=subdivision, years=years, language=wanted)
    return dict(named.items())


def localised_names(
    country: str | None,
    subdivision: str | None,
    days: Mapping[date, str],
    language: str,
    keep: Iterable[date] = (),
) -> dict[date, str]:
    """`days` (a calendar's closed days and their names) named in the reader's `language` where the
    ``holidays`` package has that language for the country; the days in `keep` (names a contract
    gave its own closed days) and the days the package does not know keep the name they have.

    >>> from datetime import date
    >>> localised_names("FR", None, {date(2026, 7, 14): "Fête nationale"}, "en")
    {datetime.date(2026, 7, 14): 'National Day'}
    >>> localised_names("CA", "ON", {date(2026, 7, 1): "Canada Day"}, "fr")
    {datetime.date(2026, 7, 1): 'Fête du Canada'}
    >>> localised_names("US", None, {date(2026, 7, 4): "Independence Day"}, "fr")
    {datetime.date(2026, 7, 4): 'Independence Day'}
    """
    if not days or not country:
        return dict(days)
    try:
        code, sub = normalise_country(country, subdivision)
        named = _named_in(code, sub, tuple(sorted({d.year for d in days})), language)
    except (UnknownCountryError, UnknownSubdivisionError, NotImplementedError, KeyError, ValueError):
        return dict(days)
    own = set(keep)
    return {day: (name if day in own or day not in named else named[day]) for day, name in days.items()}
