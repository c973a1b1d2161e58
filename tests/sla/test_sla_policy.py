"""Plans, priorities, targets and which calendar applies (R-PLAN, R-HOURS, R-PRIO)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.sla import (
    DEFAULT_POLICY,
    HoursOption,
    InvalidChoiceError,
    InvalidTargetError,
    Plan,
    Priority,
    calendar_for,
    first_response_due,
    resolve,
)

PARIS = ZoneInfo("Europe/Paris")
M = timedelta(minutes=1)
H = timedelta(hours=1)
WHERE = {"timezone": "Europe/Paris", "country": "FR"}


@pytest.mark.parametrize(
    ("plan", "priority", "target"),
    [
        ("basic", "P1", 2 * H),
        ("basic", "P2", 12 * H),
        ("basic", "P3", 24 * H),
        ("basic", "P4", 24 * H),
        ("premium", "P1", 30 * M),
        ("premium", "P2", H),
        ("premium", "P3", 4 * H),
        ("premium", "P4", 12 * H),
    ],
)
def test_default_targets(plan: str, priority: str, target: timedelta) -> None:
    assert DEFAULT_POLICY.target(plan, priority) == target
    assert resolve(plan, priority, **WHERE)[0] == target


def test_calendars_per_plan_priority_and_option() -> None:
    ww = calendar_for("8x5", "worldwide", "Europe/Paris", "FR")
    na = calendar_for("8x5", "north-america", "Europe/Paris", "FR")
    h24x5 = calendar_for("24x5", "worldwide", "Europe/Paris", "FR")
    h24x7 = calendar_for("24x7", "worldwide", "Europe/Paris", "FR")
    assert resolve("basic", "P1", **WHERE)[1] is ww
    assert resolve("basic", "P1", region="north-america", **WHERE)[1] is na
    assert resolve("premium", "P2", **WHERE)[1] is h24x7
    assert resolve("basic", "P2", hours="24x5", **WHERE)[1] is h24x5
    assert resolve("premium", "P1", hours=HoursOption.H24X5, **WHERE)[1] is h24x5
    assert resolve("premium", "P1", hours=HoursOption.PLAN_DEFAULT, **WHERE)[1] is h24x7
    # P3/P4 run on the customer's region 8x5 calendar on every plan and option (R-PRIO-7).
    for plan in Plan:
        for prio in (Priority.P3, Priority.P4):
            assert resolve(plan, prio, hours="24x5", **WHERE)[1] is ww
            assert resolve(plan, prio, region="north-america", **WHERE)[1] is na


def test_overrides_are_data() -> None:
    assert resolve("basic", "P1", target_overrides={"P1": 90 * M}, **WHERE)[0] == 90 * M
    assert resolve("basic", "P2", target_overrides={"P1": 90 * M}, **WHERE)[0] == 12 * H
    policy = DEFAULT_POLICY.with_targets({("premium", "P4"): 8 * H})
    assert resolve("premium", "P4", policy=policy, **WHERE)[0] == 8 * H
    assert DEFAULT_POLICY.target("premium", "P4") == 12 * H
    with pytest.raises(InvalidTargetError):
        resolve("basic", "P1", target_overrides={"P1": -M}, **WHERE)
    with pytest.raises(InvalidTargetError):
        DEFAULT_POLICY.with_targets({("basic", "P1"): timedelta(days=4000)})


def test_priorities() -> None:
    assert Priority.P1.is_raise(Priority.P2) and not Priority.P3.is_raise("P2")
    assert Priority.compare("P1", "P4") == -1 and Priority.compare("P4", "P1") == 1
    assert Priority.compare(Priority.P2, "p2") == 0
    with pytest.raises(InvalidChoiceError, match="P5"):
        resolve("basic", "P5", **WHERE)
    with pytest.raises(InvalidChoiceError, match="gold"):
        resolve("gold", "P1", **WHERE)


def test_first_response_due_examples() -> None:
    friday = datetime(2026, 7, 10, 16, 30, tzinfo=PARIS)
    assert first_response_due("basic", "P1", friday, **WHERE).isoformat() == "2026-07-13T10:30:00+02:00"
    assert first_response_due("premium", "P1", friday, **WHERE).isoformat() == "2026-07-10T17:00:00+02:00"
    # Premium P3 on 8x5: Friday 16:30 + 4 h -> Monday 12:30 (14 July is Tuesday).
    assert first_response_due("premium", "P3", friday, **WHERE).isoformat() == "2026-07-13T12:30:00+02:00"
