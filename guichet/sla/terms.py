"""The terms a ticket's clock runs on, as plain data that can be stored and replayed forever.

A contract is the desk's business; what the SLA core needs from it is a :class:`Terms`: plan,
priority, target, warning threshold and a :class:`CalendarSpec` (support hours, region, zone,
holiday country and subdivision, the customer's own holiday changes). Both serialise to the
JSON stored in every ledger event (``to_dict`` / ``from_dict``), so a replay years later uses the
calendar frozen at the time, whatever the contract or the holiday data became since.

>>> spec = CalendarSpec(Hours.H8X5, Region.WORLDWIDE, "Europe/Paris", "FR")
>>> terms = terms_for("basic", "P1", region="worldwide", timezone="Europe/Paris", country="FR",
...                   warn_percent=75, warn_before_minutes=30)
>>> terms.target, terms.warn, terms.calendar == spec
(datetime.timedelta(seconds=7200), datetime.timedelta(seconds=5400), True)
>>> Terms.from_dict(terms.to_dict()) == terms
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from guichet.sla.calendar import Calendar
from guichet.sla.errors import InvalidTargetError
from guichet.sla.policy import DEFAULT_POLICY, HoursOption, Plan, Policy, Priority, parse_plan, parse_priority
from guichet.sla.presets import Hours, Region, calendar_for, choice

__all__ = ["CalendarSpec", "Terms", "terms_for", "warn_threshold"]


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """Everything needed to rebuild a ticket's calendar: hours, region, zone, holidays."""

    hours: Hours
    region: Region
    timezone: str
    country: str
    subdivision: str | None = None
    extra_holidays: tuple[tuple[date, str], ...] = ()
    removed_holidays: tuple[date, ...] = ()

    def calendar(self) -> Calendar:
        """The calendar (cached: building one reads the holiday data)."""
        return _calendar(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hours": self.hours.value,
            "region": self.region.value,
            "timezone": self.timezone,
            "country": self.country,
            "subdivision": self.subdivision or None,
            "extra_holidays": [[day.isoformat(), name] for day, name in self.extra_holidays],
            "removed_holidays": [day.isoformat() for day in self.removed_holidays],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalendarSpec:
        return cls(
            choice(Hours, data["hours"], "hours"),
            choice(Region, data["region"], "region"),
            str(data["timezone"]),
            str(data["country"]),
            data.get("subdivision") or None,
            tuple((date.fromisoformat(d), str(n)) for d, n in data.get("extra_holidays") or ()),
            tuple(date.fromisoformat(d) for d in data.get("removed_holidays") or ()),
        )


@lru_cache(maxsize=512)
def _calendar(spec: CalendarSpec) -> Calendar:
    return calendar_for(
        spec.hours,
        spec.region,
        spec.timezone,
        spec.country,
        spec.subdivision,
        extra_holidays=spec.extra_holidays,
        removed_holidays=spec.removed_holidays,
    )


@dataclass(frozen=True, slots=True)
class Terms:
    """The first-response commitment of one priority under one contract."""

    plan: Plan
    priority: Priority
    target: timedelta
    warn: timedelta | None
    calendar: CalendarSpec
    pause_when_waiting: bool = False
    # How outcomes are judged (contract settings, frozen like the rest; stated in statements):
    # a downgrade after a missed target keeps the miss (else the downgraded target is judged), and
    # a ticket solved or closed before any response counts as missed (else it is left out).
    downgrade_keeps_miss: bool = True
    closed_unanswered_missed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.value,
            "priority": self.priority.value,
            "target_seconds": int(self.target.total_seconds()),
            "warn_seconds": None if self.warn is None else int(self.warn.total_seconds()),
            "calendar": self.calendar.to_dict(),
            "pause_when_waiting": self.pause_when_waiting,
            "downgrade_keeps_miss": self.downgrade_keeps_miss,
            "closed_unanswered_missed": self.closed_unanswered_missed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, plan: str | None = None) -> Terms:
        """Read terms back from a ledger event (``plan`` when the event does not name one)."""
        warn = data.get("warn_seconds")
        return cls(
            parse_plan(data.get("plan") or plan or ""),
            parse_priority(data["priority"]),
            timedelta(seconds=int(data["target_seconds"])),
            None if warn is None else timedelta(seconds=int(warn)),
            CalendarSpec.from_dict(data["calendar"]),
            bool(data.get("pause_when_waiting", False)),
            # Events written before these settings existed: the rules of the time.
            bool(data.get("downgrade_keeps_miss", True)),
            bool(data.get("closed_unanswered_missed", False)),
        )


def warn_threshold(target: timedelta, *, percent: int, before_minutes: int) -> timedelta | None:
    """Business time after which a warning is due: the earlier of ``percent`` % of the target and
    ``before_minutes`` before it (0 disables either; a lead as long as the target is ignored).

    >>> warn_threshold(timedelta(hours=1), percent=75, before_minutes=30)
    datetime.timedelta(seconds=1800)
    >>> warn_threshold(timedelta(minutes=30), percent=0, before_minutes=30) is None
    True
    """
    candidates = []
    if 0 < percent < 100:
        candidates.append(target * percent / 100)
    # A lead as long as the target itself would warn at submission: ignore it then.
    if before_minutes > 0 and target > timedelta(minutes=before_minutes):
        candidates.append(target - timedelta(minutes=before_minutes))
    if not candidates:
        return None
    return timedelta(seconds=int(min(candidates).total_seconds()))


def terms_for(
    plan: Plan | str,
    priority: Priority | str,
    *,
    hours: HoursOption | Hours | str | None = None,
    region: Region | str = Region.WORLDWIDE,
    timezone: str,
    country: str,
    subdivision: str | None = None,
    target_overrides: Mapping[str, int] | None = None,
    extra_holidays: Iterable[tuple[date, str]] = (),
    removed_holidays: Iterable[date] = (),
    pause_when_waiting: bool = False,
    downgrade_keeps_miss: bool = True,
    closed_unanswered_missed: bool = False,
    warn_percent: int = 75,
    warn_before_minutes: int = 30,
    policy: Policy = DEFAULT_POLICY,
) -> Terms:
    """The terms of ``priority`` under a contract's settings (R-PLAN-1, R-HOURS, R-PRIO-7).

    P1/P2 run on the plan's support hours (or the contract's ``hours`` option), P3/P4 on the
    customer's region 8x5 hours. ``target_overrides`` maps priorities to minutes.
    The calendar is built once here, so a bad zone or country fails now, not at replay."""
    plan, priority = parse_plan(plan), parse_priority(priority)
    target = policy.target(plan, priority)
    for key, minutes in (target_overrides or {}).items():
        if parse_priority(key) is priority:
            if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
                raise InvalidTargetError(f"override {priority.value}: minutes must be a positive integer")
            target = timedelta(minutes=minutes)
    spec = CalendarSpec(
        policy.hours_for(plan, priority, hours),
        choice(Region, region, "region"),
        timezone,
        country,
        subdivision or None,
        tuple(sorted((d, str(n)) for d, n in extra_holidays)),
        tuple(sorted(removed_holidays)),
    )
    spec.calendar()  # validates zone, country and subdivision
    warn = warn_threshold(target, percent=warn_percent, before_minutes=warn_before_minutes)
    return Terms(
        plan, priority, target, warn, spec, pause_when_waiting, downgrade_keeps_miss, closed_unanswered_missed
    )
