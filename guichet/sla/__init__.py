"""guichet.sla: the pure-Python SLA core (no Django).

Answers, exactly and fast: when is this commitment due, how much business time
has passed, and why.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> first_response_due("basic", "P1", datetime(2026, 7, 10, 16, 30, tzinfo=ZoneInfo("Europe/Paris")),
...                    timezone="Europe/Paris", country="FR").isoformat()
'2026-07-13T10:30:00+02:00'
"""

from guichet.sla.calendar import MAX_TARGET, Calendar, Window
from guichet.sla.clock import Clock, ClockState
from guichet.sla.errors import (
    EmptyCalendarError,
    InvalidChoiceError,
    InvalidPauseError,
    InvalidTargetError,
    InvalidWindowError,
    NaiveDatetimeError,
    SlaError,
    UnknownCountryError,
    UnknownSubdivisionError,
    UnknownTimezoneError,
)
from guichet.sla.explain import Explanation
from guichet.sla.holidays_source import HolidaySource, localised_names, normalise_country
from guichet.sla.ledger import Breach, Event, EventKind, LedgerState, replay, replay_steps
from guichet.sla.policy import (
    DEFAULT_POLICY,
    HoursOption,
    Plan,
    Policy,
    Priority,
    first_response_due,
    resolve,
)
from guichet.sla.presets import HOURS_24X5, NORTH_AMERICA_8X5, WORLDWIDE_8X5, Hours, Region, calendar_for
from guichet.sla.terms import CalendarSpec, Terms, terms_for, warn_threshold

__all__ = [
    "DEFAULT_POLICY",
    "HOURS_24X5",
    "MAX_TARGET",
    "NORTH_AMERICA_8X5",
    "WORLDWIDE_8X5",
    "Breach",
    "Calendar",
    "CalendarSpec",
    "Clock",
    "ClockState",
    "EmptyCalendarError",
    "Event",
    "EventKind",
    "Explanation",
    "HolidaySource",
    "Hours",
    "HoursOption",
    "InvalidChoiceError",
    "InvalidPauseError",
    "InvalidTargetError",
    "InvalidWindowError",
    "LedgerState",
    "NaiveDatetimeError",
    "Plan",
    "Policy",
    "Priority",
    "Region",
    "SlaError",
    "Terms",
    "UnknownCountryError",
    "UnknownSubdivisionError",
    "UnknownTimezoneError",
    "Window",
    "calendar_for",
    "first_response_due",
    "localised_names",
    "normalise_country",
    "replay",
    "replay_steps",
    "resolve",
    "terms_for",
    "warn_threshold",
]
