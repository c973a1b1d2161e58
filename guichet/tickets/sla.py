"""Glue between the append-only SLA ledger (`SlaEvent`) and the pure-Python SLA core (`guichet.sla`).

The ledger is the truth; the SLA fields on `Ticket` are a cache of `replay(events)`. Every event
stores what the replay needs (target, calendar specification, warning threshold, decisions taken
at the time), so a replay gives the same answer later even if the contract, the plan defaults or
the settings change.

Rules (documented in docs/domain.md):

- `applied`: the clock starts at the submission with the contract's target and calendar.
- `paused` / `resumed`: business time stops counting between them.
- `raised`: if the new target counted from the raise ends earlier than the current due instant,
  the clock restarts at the raise with the new target; otherwise the due instant stays as it was
  (a raise never moves it later). The decision is stored in the event (`restart`).
- `downgraded`: the clock is recomputed from the original submission with the new target and
  calendar, keeping the pauses already taken.
- `warned`, `breached`, `fulfilled`: facts; a breach is recorded at the due instant and never erased.
- Once the first response is given the metric is complete: later changes do not move its due instant.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from guichet.contracts.models import Contract, HoursOption, Priority

UTC = dt.UTC

STATE_NO_SLA = "no_sla"
STATE_RUNNING = "running"
STATE_PAUSED = "paused"
STATE_FULFILLED = "fulfilled"
STATE_BREACHED = "breached"
STATE_FULFILLED_LATE = "fulfilled_late"


def parse_instant(value: str) -> dt.datetime:
    instant = dt.datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"naive instant in the SLA ledger: {value}")
    return instant.astimezone(UTC)


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).isoformat()


# --- Terms: target and calendar for a contract and a priority -------------------------------------


def hours_for(plan: str, hours_option: str, priority: str) -> str:
    """Which weekly hours a clock runs on (R-HOURS, R-PRIO-7 interpretation), as the core's policy says:
    P1/P2 on the plan's support hours (Basic 8x5, Premium 24x7, or the contract's 24x5 option),
    P3/P4 on the customer's business hours (its region's 8x5) on every plan."""
    from guichet.sla.policy import DEFAULT_POLICY

    option = None if not hours_option or hours_option == HoursOption.PLAN_DEFAULT else str(hours_option)
    return str(DEFAULT_POLICY.hours_for(plan, priority, option).value)


def calendar_spec(contract: Contract, priority: str) -> dict[str, Any]:
    extra, removed = contract.holiday_changes()
    return {
        "hours": hours_for(contract.plan, contract.hours, priority),
        "region": contract.region,
        "timezone": contract.time_zone,
        "country": contract.holiday_country,
        "subdivision": contract.holiday_subdivision or None,
        "extra_holidays": [[day.isoformat(), name] for day, name in extra],
        "removed_holidays": [day.isoformat() for day in removed],
    }


def business_hours_spec(contract: Contract) -> dict[str, Any]:
    """The customer's business hours (region 8x5 in its zone): the R-PRIO-7 contact window."""
    return calendar_spec(contract, Priority.P4)


@functools.lru_cache(maxsize=256)
def _calendar(key: str):
    from guichet.sla.presets import calendar_for

    spec = json.loads(key)
    return calendar_for(
        spec["hours"],
        spec["region"],
        spec["timezone"],
        spec["country"],
        spec.get("subdivision"),
        extra_holidays=tuple((dt.date.fromisoformat(d), name) for d, name in spec.get("extra_holidays", [])),
        removed_holidays=tuple(dt.date.fromisoformat(d) for d in spec.get("removed_holidays", [])),
    )


def calendar_from_spec(spec: dict[str, Any]):
    return _calendar(json.dumps(spec, sort_keys=True))


def target_for(contract: Contract, priority: str) -> dt.timedelta:
    from guichet.sla import policy

    overrides = {k: dt.timedelta(minutes=v) for k, v in (contract.target_overrides or {}).items()}
    target, _calendar_unused = policy.resolve(
        contract.plan,
        priority,
        hours=None if contract.hours == HoursOption.PLAN_DEFAULT else contract.hours,
        region=contract.region,
        timezone=contract.time_zone,
        country=contract.holiday_country,
        subdivision=contract.holiday_subdivision or None,
        target_overrides=overrides or None,
    )
    return target


def warn_threshold(target: dt.timedelta) -> dt.timedelta | None:
    """Business time after which a warning is due: the earlier of X % of the target and N minutes
    before it (settings GUICHET_SLA_WARN_PERCENT and GUICHET_SLA_WARN_BEFORE_MINUTES; 0 disables
    either; a lead longer than the target is ignored)."""
    percent = int(getattr(settings, "GUICHET_SLA_WARN_PERCENT", 75))
    before = int(getattr(settings, "GUICHET_SLA_WARN_BEFORE_MINUTES", 30))
    candidates = []
    if 0 < percent < 100:
        candidates.append(target * percent / 100)
    # A lead as long as the target itself would warn at submission: ignore it then.
    if before > 0 and target > dt.timedelta(minutes=before):
        candidates.append(target - dt.timedelta(minutes=before))
    if not candidates:
        return None
    return dt.timedelta(seconds=int(min(candidates).total_seconds()))


def terms_data(contract: Contract, priority: str) -> dict[str, Any]:
    """What an applied/raised/downgraded event stores: enough to replay the clock forever."""
    target = target_for(contract, priority)
    warn = warn_threshold(target)
    return {
        "contract_id": contract.pk,
        "contract_reference": contract.reference,
        "plan": contract.plan,
        "priority": str(priority),
        "target_seconds": int(target.total_seconds()),
        "warn_seconds": None if warn is None else int(warn.total_seconds()),
        "calendar": calendar_spec(contract, priority),
        "pause_when_waiting": contract.pause_when_waiting,
        "policy": "guichet.sla.policy.resolve",
    }


# --- Replay ---------------------------------------------------------------------------------------


class EventLike(Protocol):
    kind: str
    at: dt.datetime
    data: dict[str, Any]


@dataclass
class Segment:
    start: dt.datetime
    end: dt.datetime | None = None


@dataclass
class ClockState:
    """The SLA state of one ticket, as the replay of its ledger gives it."""

    state: str = STATE_NO_SLA
    plan: str = ""
    priority: str = ""
    submitted_at: dt.datetime | None = None
    target: dt.timedelta | None = None
    warn: dt.timedelta | None = None
    spec: dict[str, Any] | None = None
    pause_when_waiting: bool = False
    clock_started_at: dt.datetime | None = None
    # Running intervals since the submission, and since the start of the current clock.
    all_segments: list[Segment] = field(default_factory=list)
    clock_segments: list[Segment] = field(default_factory=list)
    paused: bool = False
    breached_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    warned_keys: set[str] = field(default_factory=set)
    warned_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    warn_at: dt.datetime | None = None
    remaining: dt.timedelta | None = None

    @property
    def has_sla(self) -> bool:
        return self.target is not None

    @property
    def complete(self) -> bool:
        return self.first_response_at is not None

    @property
    def warning_pending(self) -> bool:
        return self.warn_at is not None and warn_key(self.due_at) not in self.warned_keys

    @property
    def next_event_at(self) -> dt.datetime | None:
        """When the sweep has something to do: the pending warning, else the breach."""
        if not self.has_sla or self.complete or self.paused or self.breached_at is not None:
            return None
        candidates = [self.due_at] if self.due_at else []
        if self.warning_pending:
            candidates.append(self.warn_at)
        return min(candidates) if candidates else None

    def calendar(self):
        return calendar_from_spec(self.spec) if self.spec else None


def warn_key(due_at: dt.datetime | None) -> str:
    return f"warned:{iso(due_at)}" if due_at else "warned:-"


def _instant_at(calendar, segments: Sequence[Segment], amount: dt.timedelta) -> dt.datetime | None:
    """The instant at which `amount` of business time has been used over `segments`, or None if the
    clock is paused before reaching it."""
    used = dt.timedelta(0)
    for segment in segments:
        if segment.end is None:
            return calendar.add(segment.start, amount - used)
        span = calendar.between(segment.start, segment.end)
        if used + span >= amount:
            return calendar.add(segment.start, amount - used)
        used += span
    return None


def _used(calendar, segments: Sequence[Segment]) -> dt.timedelta:
    return sum((calendar.between(s.start, s.end) for s in segments if s.end is not None), dt.timedelta(0))


def _apply_terms(state: ClockState, data: dict[str, Any]) -> None:
    state.plan = data.get("plan", state.plan)
    state.target = dt.timedelta(seconds=data["target_seconds"])
    warn = data.get("warn_seconds")
    state.warn = None if warn is None else dt.timedelta(seconds=warn)
    state.spec = data["calendar"]
    state.pause_when_waiting = bool(data.get("pause_when_waiting", state.pause_when_waiting))


def replay(events: Iterable[EventLike]) -> ClockState:
    """Fold the ledger into the current state. Pure: no database access."""
    state = ClockState()
    for event in events:
        kind, at, data = event.kind, event.at, event.data or {}
        if kind == "applied":
            state.submitted_at = at
            state.priority = data["priority"]
            state.state = STATE_RUNNING
            _apply_terms(state, data)
            state.clock_started_at = at
            state.all_segments = [Segment(at)]
            state.clock_segments = [Segment(at)]
        elif kind == "no_sla":
            state.submitted_at = at
            state.priority = data.get("priority", state.priority)
            state.state = STATE_NO_SLA
        elif kind == "paused":
            if state.has_sla and not state.paused:
                state.paused = True
                for segments in (state.all_segments, state.clock_segments):
                    if segments and segments[-1].end is None:
                        segments[-1].end = at
        elif kind == "resumed":
            if state.has_sla and state.paused:
                state.paused = False
                state.all_segments.append(Segment(at))
                state.clock_segments.append(Segment(at))
        elif kind in ("raised", "downgraded"):
            state.priority = data["priority"]
            if not state.has_sla or "target_seconds" not in data:
                continue
            if state.complete:
                continue  # the first-response metric is complete: its due instant stays
            if kind == "downgraded":
                # Recomputed from the original submission, keeping the pauses already taken.
                _apply_terms(state, data)
                state.clock_started_at = state.submitted_at
                state.clock_segments = [Segment(s.start, s.end) for s in state.all_segments]
            elif data.get("restart"):
                _apply_terms(state, data)
                state.clock_started_at = at
                state.clock_segments = [] if state.paused else [Segment(at)]
        elif kind == "warned":
            state.warned_keys.add(warn_key(parse_instant(data["due"])) if data.get("due") else "warned:-")
            state.warned_at = at
        elif kind == "breached":
            if state.breached_at is None:
                state.breached_at = at
        elif kind == "fulfilled" and state.first_response_at is None:
            state.first_response_at = at
            # Freeze the metric: close the running segment at the response.
            if state.has_sla:
                _recompute(state)
                for segments in (state.all_segments, state.clock_segments):
                    if segments and segments[-1].end is None:
                        segments[-1].end = at
                continue
        _recompute(state)
    _finalise(state)
    return state


def _recompute(state: ClockState) -> None:
    if not state.has_sla or state.complete:
        return
    calendar = state.calendar()
    due = _instant_at(calendar, state.clock_segments, state.target)
    state.remaining = None
    if due is None:
        state.remaining = state.target - _used(calendar, state.clock_segments)
    state.due_at = due
    state.warn_at = None
    if state.warn is not None and due is not None:
        state.warn_at = _instant_at(calendar, state.clock_segments, state.warn)


def _finalise(state: ClockState) -> None:
    if not state.has_sla:
        state.state = STATE_NO_SLA
        return
    if state.complete:
        late = state.breached_at is not None or (
            state.due_at is not None and state.first_response_at > state.due_at
        )
        state.state = STATE_FULFILLED_LATE if late else STATE_FULFILLED
        state.remaining = None
    elif state.breached_at is not None:
        state.state = STATE_BREACHED
    elif state.paused:
        state.state = STATE_PAUSED
    else:
        state.state = STATE_RUNNING


def elapsed(state: ClockState, at: dt.datetime) -> dt.timedelta | None:
    """Business time used on the current clock up to `at` (for display and explanations)."""
    if not state.has_sla:
        return None
    calendar = state.calendar()
    total = dt.timedelta(0)
    for segment in state.clock_segments:
        end = segment.end or at
        if end > segment.start:
            total += calendar.between(segment.start, min(end, at))
    return total


# Ticket fields that cache the replay. `cached_fields(state)` gives their values.
CACHED_FIELDS = (
    "plan",
    "priority",
    "sla_state",
    "sla_target_minutes",
    "sla_due_at",
    "sla_warn_at",
    "sla_warned_at",
    "sla_breached_at",
    "sla_clock_started_at",
    "sla_remaining_seconds",
    "next_sla_event_at",
    "first_response_at",
)


def cached_fields(state: ClockState) -> dict[str, Any]:
    return {
        "plan": state.plan,
        "priority": state.priority,
        "sla_state": state.state,
        "sla_target_minutes": None if state.target is None else int(state.target.total_seconds() // 60),
        "sla_due_at": state.due_at if state.has_sla else None,
        "sla_warn_at": state.warn_at if state.has_sla and state.warning_pending else None,
        "sla_warned_at": state.warned_at,
        "sla_breached_at": state.breached_at,
        "sla_clock_started_at": state.clock_started_at,
        "sla_remaining_seconds": None if state.remaining is None else int(state.remaining.total_seconds()),
        "next_sla_event_at": state.next_event_at,
        "first_response_at": state.first_response_at,
    }


def explain(state: ClockState) -> dict[str, Any] | None:
    """Why the ticket is due when it is: the core's explanation of the current clock."""
    if not state.has_sla or state.clock_started_at is None or state.target is None:
        return None
    calendar = state.calendar()
    data: dict[str, Any] = {
        "priority": state.priority,
        "plan": state.plan,
        "target_minutes": int(state.target.total_seconds() // 60),
        "calendar": state.spec,
        "clock_started_at": iso(state.clock_started_at),
        "running": [
            {"start": iso(s.start), "end": iso(s.end) if s.end else None} for s in state.clock_segments
        ],
        "due_at": iso(state.due_at) if state.due_at else None,
    }
    segments = state.clock_segments
    if segments:
        # The gaps between running segments are the pauses; an open gap is the pause going on.
        pauses = [(a.end, b.start) for a, b in itertools.pairwise(segments) if a.end]
        if segments[-1].end is not None and not state.complete:
            pauses.append((segments[-1].end, None))
        try:
            if hasattr(calendar, "explain_span"):
                explanation = calendar.explain_span(
                    segments[0].start, state.due_at, state.target, pauses=pauses, until=segments[-1].end
                )
            else:
                explanation = calendar.explain(segments[0].start, state.target)
            data["explanation"] = explanation.to_dict()
        except Exception as exc:  # an explanation must never break a page
            data["explanation_error"] = str(exc)
    return data
