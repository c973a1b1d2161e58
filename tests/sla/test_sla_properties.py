"""Property tests: guichet.sla calendars against the minute-by-minute brute force.

Zones cover weekday DST changes (Asia/Jerusalem, Africa/Cairo), non-hour offsets
(Asia/Kathmandu, America/St_Johns), 30-minute DST (Australia/Lord_Howe) and the
usual ones; holidays come from each zone's country over several years.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sla_reference import RefCalendar, transitions

from guichet.sla import Calendar, HolidaySource, InvalidTargetError, Window, calendar_for

ZONES = {
    "Europe/Paris": ("FR", None),
    "America/New_York": ("US", "NY"),
    "America/Los_Angeles": ("US", "CA"),
    "Asia/Jerusalem": ("IL", None),
    "Africa/Cairo": ("EG", None),
    "Asia/Kathmandu": ("NP", None),
    "America/St_Johns": ("CA", "NL"),
    "Australia/Lord_Howe": ("AU", "NSW"),
    "Asia/Tokyo": ("JP", None),
    "UTC": (None, None),
}
YEARS = range(2024, 2029)
# SLA_HYPOTHESIS_EXAMPLES=1000 for a deeper local run; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("SLA_HYPOTHESIS_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def zone_transitions(zone: str) -> tuple[int, ...]:
    return tuple(transitions(zone, YEARS))


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """A whole UTC minute, often within a few days of one of the zone's DST changes."""
    trans = zone_transitions(zone)
    if trans and draw(st.booleans()):
        base = draw(st.sampled_from(trans)) // 60 * 60
        u = base + draw(st.integers(-4 * 1440, 4 * 1440)) * 60
    else:
        lo = int(datetime(YEARS.start, 1, 1, tzinfo=UTC).timestamp()) // 60
        hi = int(datetime(YEARS.stop - 1, 12, 1, tzinfo=UTC).timestamp()) // 60
        u = draw(st.integers(lo, hi)) * 60
    return datetime.fromtimestamp(u, UTC)


@st.composite
def custom_windows(draw: st.DrawFn) -> list[tuple[int, time, int, time]]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        swd = draw(st.integers(0, 6))
        start = draw(st.integers(0, 95)) * 15
        span = draw(st.integers(1, 4 * 96)) * 15  # 15 min to 4 days
        end = swd * 1440 + start + span
        out.append((swd, time(start // 60, start % 60), (end // 1440) % 7, time(end % 1440 // 60, end % 60)))
    return out


@st.composite
def calendars(draw: st.DrawFn) -> tuple[str, Calendar, RefCalendar]:
    zone = draw(st.sampled_from(sorted(ZONES)))
    country, sub = ZONES[zone]
    kind = draw(st.sampled_from(["8x5-ww", "8x5-na", "24x5", "custom", "custom-holidays", "24x7"]))
    if kind.startswith("8x5") and country is None:
        kind = "custom-holidays"
    if kind == "24x7":
        return zone, Calendar(zone, always_open=True), RefCalendar(zone, [], always_open=True)
    if kind == "24x5":
        ref = RefCalendar(zone, [(0, time(0, 1), 4, time(23, 59))])
        return zone, calendar_for("24x5", "worldwide", zone, country or "FR"), ref
    if kind.startswith("8x5"):
        region, hour = ("worldwide", 9) if kind == "8x5-ww" else ("north-america", 8)
        ref = RefCalendar(zone, [(d, time(hour), d, time(17)) for d in range(5)], country, sub)
        return zone, calendar_for("8x5", region, zone, country, sub), ref
    wins = draw(custom_windows())
    windows = [Window(*w) for w in wins]
    if kind == "custom-holidays" and country is not None:
        source = HolidaySource.build(country, sub)
        return zone, Calendar(zone, windows, source), RefCalendar(zone, wins, country, sub)
    return zone, Calendar(zone, windows), RefCalendar(zone, wins)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Calendar, RefCalendar, datetime]:
    zone, cal, ref = draw(calendars())
    start = draw(instants(zone)).astimezone(cal.tz)
    return cal, ref, start


@SETTINGS
@given(cases(), st.integers(1, 2400))
def test_add_matches_brute_force(case: tuple[Calendar, RefCalendar, datetime], minutes: int) -> None:
    cal, ref, start = case
    due = cal.add(start, timedelta(minutes=minutes))
    assert due.tzinfo is cal.tz
    limit = 21
    expected = ref.add(start, minutes, limit_days=limit)
    if expected is None:
        assert due - start > timedelta(days=limit - 1)
    else:
        # Compare in UTC: aware datetimes in a repeated (fold=1) hour never equal other zones' ones.
        assert due.astimezone(UTC) == expected.astimezone(UTC), (cal, start, minutes)


@SETTINGS
@given(cases(), st.integers(0, 10 * 1440))
def test_between_matches_brute_force(case: tuple[Calendar, RefCalendar, datetime], minutes: int) -> None:
    cal, ref, start = case
    # UTC arithmetic: aware + timedelta is wall-clock arithmetic and would drop fold=1.
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(cal.tz)
    assert cal.between(start, end) == ref.between(start, end)
    assert cal.between(end, start) == -cal.between(start, end)


@SETTINGS
@given(cases(), st.integers(1, 3 * 10**7), st.integers(0, 999_999))
def test_add_and_between_are_inverse(
    case: tuple[Calendar, RefCalendar, datetime], seconds: int, micro: int
) -> None:
    cal, _ref, start = case
    # All arithmetic and comparisons in UTC (aware + timedelta is wall-clock arithmetic).
    start = start.astimezone(UTC) + timedelta(seconds=seconds % 3600, microseconds=micro)
    delta = timedelta(seconds=seconds, microseconds=micro // 7)
    try:
        due = cal.add(start, delta).astimezone(UTC)
    except InvalidTargetError:  # a sparse random calendar cannot hold that much in 120 years
        assume(False)
    assert cal.between(start, due) == delta
    # The due time is the first instant reaching the target: never inside a closed span.
    assert cal.is_open(due - timedelta(microseconds=1))
    later = due + timedelta(hours=seconds % 50)
    back = cal.add(start, cal.between(start, later)).astimezone(UTC)
    assert back <= later and cal.between(back, later) == timedelta(0)


@SETTINGS
@given(cases(), st.lists(st.integers(1, 5000), min_size=1, max_size=20))
def test_batch_forms_equal_add(case: tuple[Calendar, RefCalendar, datetime], minutes: list[int]) -> None:
    cal, _ref, start = case
    starts = [start + timedelta(minutes=37 * i * m) for i, m in enumerate(minutes)]
    deltas = [timedelta(minutes=m) for m in minutes]
    expected = [cal.add(s, d) for s, d in zip(starts, deltas, strict=True)]
    assert [x.astimezone(UTC) for x in cal.add_many(starts, deltas)] == [x.astimezone(UTC) for x in expected]
    epoch = cal.add_many_epoch([s.timestamp() for s in starts], [d.total_seconds() for d in deltas])
    assert epoch == [e.timestamp() for e in expected]
    ints = cal.add_many_epoch([int(s.timestamp()) for s in starts], [int(d.total_seconds()) for d in deltas])
    assert ints == epoch


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(sorted(z for z in ZONES if ZONES[z][0])), st.sampled_from(["worldwide", "north-america"])
)
def test_year_long_between_with_holidays(zone: str, region: str) -> None:
    """Months and years of holidays at once: sample every 15 min (all 8x5 boundaries are multiples)."""
    country, sub = ZONES[zone]
    hour = 9 if region == "worldwide" else 8
    cal = calendar_for("8x5", region, zone, country, sub)
    ref = RefCalendar(zone, [(d, time(hour), d, time(17)) for d in range(5)], country, sub)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    end = datetime(2028, 2, 10, tzinfo=UTC)
    assert cal.between(start, end) == ref.between(start, end, step=900)
