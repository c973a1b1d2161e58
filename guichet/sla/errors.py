"""Errors raised by the SLA core.

Every error is a ``ValueError`` subclass so callers (forms, the API, the CLI)
can catch one family and show its message as is.

>>> issubclass(NaiveDatetimeError, SlaError) and issubclass(SlaError, ValueError)
True
"""

from __future__ import annotations


class SlaError(ValueError):
    """Base class: invalid SLA input or an impossible computation."""


class NaiveDatetimeError(SlaError):
    """A datetime without a UTC offset was given; the SLA core never guesses a zone."""


class UnknownTimezoneError(SlaError):
    """The time zone is not an IANA zone known to tzdata."""


class UnknownCountryError(SlaError):
    """The holiday country is not known to the ``holidays`` package."""


class UnknownSubdivisionError(SlaError):
    """The holiday subdivision is not known for that country."""


class InvalidTargetError(SlaError):
    """A target is negative, zero where not allowed, or absurdly long (over 10 years)."""


class InvalidWindowError(SlaError):
    """A weekly open window is malformed."""


class EmptyCalendarError(SlaError):
    """The calendar is never open, so no due time exists."""


class InvalidChoiceError(SlaError):
    """An unknown plan, priority, region or hours option."""


class InvalidPauseError(SlaError):
    """Pauses overlap, are out of order, or start before the clock."""
