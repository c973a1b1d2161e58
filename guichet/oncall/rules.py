"""Paging rules per plan × priority, and the preview sentence of /manage/
("a Premium P1 at 03:00 Saturday Paris time pages: at once Alice (primary), …")."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from guichet import sla
from guichet.accounts.models import Person
from guichet.contracts.models import Contract, Plan, Priority
from guichet.oncall.models import EscalationPolicy, LevelTarget, PagingMode, PagingRule
from guichet.sla.zones import get_zone

# Every ticket write publishes events the triggers look at; the eight rules are read at most every
# RULES_TTL seconds per process (an edit in this process is seen at once, others within the TTL),
# so a P3 that never pages costs no query at all.
RULES_TTL = 30.0
_rules: tuple[float, dict[tuple[str, str], PagingRule]] | None = None


def _stored() -> dict[tuple[str, str], PagingRule]:
    global _rules
    now = time.monotonic()
    if _rules is None or now - _rules[0] > RULES_TTL:
        _rules = (now, {(r.plan, r.priority): r for r in PagingRule.objects.select_related("policy")})
    return _rules[1]


def forget_rules(**kwargs: object) -> None:
    global _rules
    _rules = None


def rule_for(plan: str, priority: str) -> PagingRule:
    """The stored rule, else the default (Premium P1/P2 always, Basic P1 in hours, else never)."""
    return _stored().get((plan, priority)) or PagingRule.default(plan, priority)


def may_page(priority: str, trigger: str) -> bool:
    """Whether a ticket of this priority could page on this trigger under any plan (no query)."""
    return any(
        (rule := rule_for(plan, priority)).mode != PagingMode.NEVER and trigger in rule.triggers
        for plan in Plan.values
    )


def all_rules() -> list[PagingRule]:
    stored = {(r.plan, r.priority): r for r in PagingRule.objects.select_related("policy")}
    return [stored.get((p, q)) or PagingRule.default(p, q) for p in Plan.values for q in Priority.values]


@dataclass(frozen=True)
class PreviewStep:
    at: dt.datetime
    level: int
    target: str
    people: list[str]
    after_minutes: int


def _calendar(plan: str, priority: str, zone: str, contract: Contract | None) -> sla.Calendar:
    if contract is not None:
        return contract.calendar(priority)
    hours = sla.DEFAULT_POLICY.hours_for(plan, priority, sla.HoursOption.PLAN_DEFAULT)
    if hours is sla.Hours.H24X7:
        return sla.Calendar(zone, always_open=True, name="24x7")
    return sla.Calendar(zone, sla.WORLDWIDE_8X5, name="Mon-Fri 09:00-17:00")


def timeline(
    plan: str, priority: str, at: dt.datetime, *, zone: str, contract: Contract | None = None
) -> tuple[PagingRule, dt.datetime | None, list[PreviewStep]]:
    """(rule, when paging starts or None, the first round of steps with who they page)."""
    from guichet.oncall.escalation import _Cache, default_policy, level_people, snapshot

    rule = rule_for(plan, priority)
    if rule.mode == PagingMode.NEVER:
        return rule, None, []
    start = at
    if rule.mode == PagingMode.BUSINESS_HOURS:
        start = _calendar(plan, priority, zone, contract).next_open(at)
    policy: EscalationPolicy | None = rule.policy or default_policy()
    if policy is None:
        return rule, start, []
    cache = _Cache()
    schedule = cache.schedule(policy.schedule_id)
    steps: list[PreviewStep] = []
    when, waited = start, 0
    names = {p.pk: str(p) for p in Person.objects.all()}
    for i, level in enumerate(snapshot(policy)):
        people = level_people(level, schedule, when, cache)
        steps.append(PreviewStep(when, i + 1, level["target"], [names.get(p, "?") for p in people], waited))
        step = int(level["seconds"]) // 60 if people else 0
        when, waited = when + dt.timedelta(minutes=step), waited + step
    return rule, start, steps


def _local(at: dt.datetime, zone: str) -> str:
    local = at.astimezone(get_zone(zone))
    # Translators: day and time in the paging preview, e.g. "Saturday 03:00" (Django date format).
    return formats.date_format(local, _("l H:i"))


def preview_sentence(
    plan: str, priority: str, at: dt.datetime, *, zone: str, contract: Contract | None = None
) -> str:
    """One sentence a lead can check: what a ticket of this plan and priority at ``at`` would page."""
    _rule, start, steps = timeline(plan, priority, at, zone=zone, contract=contract)
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    head = _("A %(plan)s %(priority)s at %(when)s %(city)s time") % {
        "plan": Plan(plan).label,
        "priority": priority,
        "when": _local(at, zone),
        "city": city,
    }
    if start is None:
        return _("%(head)s never pages.") % {"head": head}
    if not steps:
        return _("%(head)s should page, but no escalation policy exists.") % {"head": head}
    parts: list[str] = []
    for s in steps:
        who = ", ".join(s.people) if s.people else _("nobody on call")
        label = {
            LevelTarget.PRIMARY: _("primary"),
            LevelTarget.SECONDARY: _("secondary"),
            LevelTarget.LEADS: _("team leads"),
            LevelTarget.PERSON: _("named"),
        }[LevelTarget(s.target)]
        if s.after_minutes == 0 and not parts:
            when = _("at once") if start == at else _("at %(when)s") % {"when": _local(start, zone)}
        else:
            when = _("after %(n)s min") % {"n": s.after_minutes}
        parts.append(_("%(when)s %(who)s (%(level)s)") % {"when": when, "who": who, "level": label})
    return _("%(head)s pages: %(steps)s.") % {"head": head, "steps": _(", then ").join(parts)}
