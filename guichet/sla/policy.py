"""Plans, priorities and the targets/calendars they imply (R-PLAN, R-PRIO).

Targets and calendar rules are data (:class:`Policy`), overridable per contract.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> target, cal = resolve("premium", "P1", region="worldwide", timezone="Europe/Paris", country="FR")
>>> target, cal.name
(datetime.timedelta(seconds=1800), '24x7')
>>> first_response_due("basic", "P3", datetime(2026, 7, 10, 16, tzinfo=ZoneInfo("Europe/Paris")),
...                    timezone="Europe/Paris", country="FR").isoformat()
'2026-07-16T16:00:00+02:00'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType

from guichet.sla.calendar import MAX_TARGET, Calendar
from guichet.sla.errors import InvalidTargetError
from guichet.sla.holidays_source import ExtraHolidays
from guichet.sla.presets import Hours, Region, calendar_for, choice

__all__ = [
    "DEFAULT_POLICY",
    "HoursOption",
    "Plan",
    "Policy",
    "Priority",
    "Region",
    "first_response_due",
    "resolve",
]


class Plan(enum.StrEnum):
    """The plan bought in the customer's quote (R-PLAN-1)."""

    BASIC = "basic"
    PREMIUM = "premium"


class Priority(enum.StrEnum):
    """P1 (critical) to P4 (no immediate impact); a smaller number is more urgent.

    >>> Priority.P1.is_raise(Priority.P3)  # going from P3 to P1 is a raise
    True
    >>> Priority.compare(Priority.P2, Priority.P4)
    -1
    """

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def rank(self) -> int:
        """1 for P1 ... 4 for P4."""
        return int(self.value[1])

    def is_raise(self, old: Priority | str) -> bool:
        """True when changing from ``old`` to this priority makes the ticket more urgent."""
        return self.rank < parse_priority(old).rank

    @staticmethod
    def compare(a: Priority | str, b: Priority | str) -> int:
        """-1 if ``a`` is more urgent than ``b``, 0 if equal, 1 if less urgent."""
        ra, rb = parse_priority(a).rank, parse_priority(b).rank
        return (ra > rb) - (ra < rb)


class HoursOption(enum.StrEnum):
    """The contract's support-hours option: the plan's default or the 24x5 option."""

    PLAN_DEFAULT = "default"
    H24X5 = "24x5"


def parse_plan(value: Plan | str) -> Plan:
    return choice(Plan, value, "plan")


def parse_priority(value: Priority | str) -> Priority:
    if isinstance(value, str) and value.strip().isdigit():
        value = f"P{value.strip()}"
    return choice(Priority, value.upper() if isinstance(value, str) else value, "priority")


def parse_region(value: Region | str) -> Region:
    return choice(Region, value, "region")


def _parse_hours(value: Hours | HoursOption | str | None) -> Hours | None:
    if value is None or value == HoursOption.PLAN_DEFAULT:
        return None
    if isinstance(value, HoursOption):
        return Hours(value.value)
    if isinstance(value, str) and value.strip().lower() in ("", "default", "plan-default"):
        return None
    return choice(Hours, value, "hours")


def _check_target(value: object, what: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise InvalidTargetError(f"{what}: target must be a timedelta, got {value!r}")
    if value <= timedelta(0):
        raise InvalidTargetError(f"{what}: target must be positive, got {value}")
    if value > MAX_TARGET:
        raise InvalidTargetError(f"{what}: target {value} is longer than the 10-year maximum")
    return value


_H = timedelta(hours=1)
_DEFAULT_TARGETS = {
    (Plan.BASIC, Priority.P1): 2 * _H,
    (Plan.BASIC, Priority.P2): 12 * _H,
    (Plan.BASIC, Priority.P3): 24 * _H,
    (Plan.BASIC, Priority.P4): 24 * _H,
    (Plan.PREMIUM, Priority.P1): timedelta(minutes=30),
    (Plan.PREMIUM, Priority.P2): 1 * _H,
    (Plan.PREMIUM, Priority.P3): 4 * _H,
    (Plan.PREMIUM, Priority.P4): 12 * _H,
}


@dataclass(frozen=True)
class Policy:
    """First-response targets and which calendar each priority runs on.

    ``targets[(plan, priority)]`` is business time. P1/P2 (``support_hours_priorities``)
    run on the contract's support hours (``default_hours[plan]`` unless the contract
    picks an option); the others run on the customer's region 8x5 calendar (R-PRIO-7).

    >>> DEFAULT_POLICY.target("basic", "P2")
    datetime.timedelta(seconds=43200)
    >>> DEFAULT_POLICY.with_targets({("basic", "P2"): timedelta(hours=8)}).target("basic", "P2")
    datetime.timedelta(seconds=28800)
    """

    targets: Mapping[tuple[Plan, Priority], timedelta] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_TARGETS))
    )
    default_hours: Mapping[Plan, Hours] = field(
        default_factory=lambda: MappingProxyType({Plan.BASIC: Hours.H8X5, Plan.PREMIUM: Hours.H24X7})
    )
    support_hours_priorities: frozenset[Priority] = frozenset({Priority.P1, Priority.P2})

    def __post_init__(self) -> None:
        for (plan, prio), value in self.targets.items():
            _check_target(value, f"{plan.value} {prio.value}")

    def target(self, plan: Plan | str, priority: Priority | str) -> timedelta:
        """The first-response target for a plan and priority."""
        return self.targets[(parse_plan(plan), parse_priority(priority))]

    def with_targets(self, overrides: Mapping[tuple[Plan | str, Priority | str], timedelta]) -> Policy:
        """A copy with some targets replaced."""
        merged = dict(self.targets)
        for (plan, prio), value in overrides.items():
            key = (parse_plan(plan), parse_priority(prio))
            merged[key] = _check_target(value, f"{key[0].value} {key[1].value}")
        return replace(self, targets=MappingProxyType(merged))

    def hours_for(
        self, plan: Plan | str, priority: Priority | str, hours: Hours | HoursOption | str | None
    ) -> Hours:
        """Which support-hours kind a ticket's clock runs on."""
        plan, priority = parse_plan(plan), parse_priority(priority)
        if priority not in self.support_hours_priorities:
            return Hours.H8X5  # P3/P4: customer's business hours on every plan (R-PRIO-7)
        return _parse_hours(hours) or self.default_hours[plan]


DEFAULT_POLICY = Policy()


def resolve(
    plan: Plan | str,
    priority: Priority | str,
    *,
    hours: Hours | HoursOption | str | None = None,
    region: Region | str = Region.WORLDWIDE,
    timezone: str,
    country: str,
    subdivision: str | None = None,
    target_overrides: Mapping[Priority | str, timedelta] | None = None,
    extra_holidays: ExtraHolidays = (),
    removed_holidays: Iterable[date] = (),
    policy: Policy = DEFAULT_POLICY,
) -> tuple[timedelta, Calendar]:
    """The (target, calendar) for a ticket of a contract.

    ``target_overrides`` maps priorities to the contract's own targets.
    """
    plan, priority = parse_plan(plan), parse_priority(priority)
    target = policy.target(plan, priority)
    if target_overrides:
        for prio, value in target_overrides.items():
            if parse_priority(prio) is priority:
                target = _check_target(value, f"override {priority.value}")
    kind = policy.hours_for(plan, priority, hours)
    cal = calendar_for(
        kind,
        parse_region(region),
        timezone,
        country,
        subdivision,
        extra_holidays=extra_holidays,
        removed_holidays=removed_holidays,
    )
    return target, cal


def first_response_due(
    plan: Plan | str,
    priority: Priority | str,
    submitted: datetime,
    *,
    hours: Hours | HoursOption | str | None = None,
    region: Region | str = Region.WORLDWIDE,
    timezone: str,
    country: str,
    subdivision: str | None = None,
    target_overrides: Mapping[Priority | str, timedelta] | None = None,
    extra_holidays: ExtraHolidays = (),
    removed_holidays: Iterable[date] = (),
    policy: Policy = DEFAULT_POLICY,
) -> datetime:
    """When the first response to a request submitted at ``submitted`` is due (R-PLAN-3)."""
    target, cal = resolve(
        plan,
        priority,
        hours=hours,
        region=region,
        timezone=timezone,
        country=country,
        subdivision=subdivision,
        target_overrides=target_overrides,
        extra_holidays=extra_holidays,
        removed_holidays=removed_holidays,
        policy=policy,
    )
    return cal.add(submitted, target)
