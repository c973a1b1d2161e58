"""guichet.oncall.rota against the minute-by-minute brute force (tests/oncall/rota_reference.py),
with hand-offs and follow-the-sun windows on the DST change nights of Paris and Montréal."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.oncall.rota import Override, RotaError, Rotation, Schedule, hand_off_instant
from guichet.sla import NaiveDatetimeError, Window

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rota_reference import RefRotation, walk

PARIS, MONTREAL = ZoneInfo("Europe/Paris"), ZoneInfo("America/Montreal")
# The DST change nights of 2026: the hand-offs and restrictions around them are the hard cases.
NIGHTS = {
    "Europe/Paris": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "America/Montreal": [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)],
    "Australia/Lord_Howe": [datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)],
    "Asia/Kathmandu": [datetime(2026, 6, 1, tzinfo=UTC)],
}
SETTINGS = settings(
    max_examples=int(os.environ.get("ROTA_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_imports_no_django() -> None:
    code = "import sys, guichet.oncall.rota; print(sorted(m for m in sys.modules if m.startswith('django')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- Hand-offs on the change nights ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc"),
    [
        # Paris, spring forward 02:00 → 03:00: a 02:30 hand-off happens at the jump (03:00 CEST).
        ("Europe/Paris", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, tzinfo=UTC)),
        ("Europe/Paris", date(2026, 3, 29), time(3), datetime(2026, 3, 29, 1, tzinfo=UTC)),
        ("Europe/Paris", date(2026, 3, 29), time(9), datetime(2026, 3, 29, 7, tzinfo=UTC)),
        # Paris, fall back 03:00 → 02:00: 02:30 happens twice; the hand-off is the first one.
        ("Europe/Paris", date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("Europe/Paris", date(2026, 10, 25), time(9), datetime(2026, 10, 25, 8, tzinfo=UTC)),
        # Montréal, spring forward 02:00 → 03:00 and fall back 02:00 → 01:00.
        ("America/Montreal", date(2026, 3, 8), time(2), datetime(2026, 3, 8, 7, tzinfo=UTC)),
        ("America/Montreal", date(2026, 3, 8), time(2, 59), datetime(2026, 3, 8, 7, tzinfo=UTC)),
        ("America/Montreal", date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        ("America/Montreal", date(2026, 11, 1), time(20), datetime(2026, 11, 2, 1, tzinfo=UTC)),
    ],
)
def test_hand_off_instant_on_change_nights(zone: str, day: date, at: time, expected_utc: datetime) -> None:
    assert hand_off_instant(ZoneInfo(zone), day, at) == expected_utc


def test_daily_hand_off_keeps_local_time_across_the_change() -> None:
    rot = Rotation(
        "primary", "Europe/Paris", (1, 2, 3), hand_off=time(9), start_date=date(2026, 3, 27), length_days=1
    )
    s = Schedule("Europe/Paris", (rot,))
    shifts = s.shifts(
        datetime(2026, 3, 27, 9, tzinfo=PARIS), datetime(2026, 3, 31, 9, tzinfo=PARIS), ("primary",)
    )
    assert [(x.person, x.start.astimezone(PARIS).hour) for x in shifts] == [(1, 9), (2, 9), (3, 9), (1, 9)]
    # The shift that contains the spring-forward night is 23 hours long, the autumn one 25.
    assert shifts[1].end - shifts[1].start == timedelta(hours=23)
    autumn = s.shifts(
        datetime(2026, 10, 24, 9, tzinfo=PARIS), datetime(2026, 10, 26, 9, tzinfo=PARIS), ("primary",)
    )
    assert [x.end - x.start for x in autumn] == [timedelta(hours=25), timedelta(hours=24)]


def test_hand_off_in_the_repeated_hour_never_hands_back() -> None:
    rot = Rotation(
        "primary",
        "America/Montreal",
        (7, 8),
        hand_off=time(1, 30),
        start_date=date(2026, 10, 31),
        length_days=1,
    )
    s = Schedule("America/Montreal", (rot,))
    before = datetime(2026, 11, 1, 5, 29, tzinfo=UTC)  # 01:29 EDT
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT: the hand-off
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, the same wall time again
    assert [s.on_call(x)["primary"] for x in (before, first, second)] == [7, 8, 8]


def test_follow_the_sun_across_the_weeks_where_paris_and_montreal_differ() -> None:
    """Paris 08:00–20:00 Paris time, Montréal 14:00–02:00 Montréal time: one hour apart while
    North America has changed its clocks and Europe has not (8 to 29 March 2026)."""
    paris = Rotation(
        "primary",
        "Europe/Paris",
        (1,),
        start_date=date(2026, 1, 5),
        restrictions=Window.daily(range(7), time(8), time(20)),
        name="Paris",
    )
    montreal = Rotation(
        "primary",
        "America/Montreal",
        (2,),
        start_date=date(2026, 1, 5),
        restrictions=Window.daily(range(7), time(14), time(2)),
        name="Montréal",
    )
    s = Schedule("Europe/Paris", (paris, montreal))
    # 1 March: both on standard time, 6 hours apart: the day is covered end to end.
    day = s.shifts(datetime(2026, 3, 1, 8, tzinfo=PARIS), datetime(2026, 3, 2, 8, tzinfo=PARIS), ("primary",))
    assert [(x.person, x.start.astimezone(PARIS).hour) for x in day] == [(1, 8), (2, 20)]
    # 15 March: Montréal is on summer time, Paris not: 5 hours apart, so Montréal starts at 19:00
    # Paris time (and wins the overlap hour, being the later layer) and stops at 07:00: one hour
    # with nobody on call.
    day = s.shifts(
        datetime(2026, 3, 15, 8, tzinfo=PARIS), datetime(2026, 3, 16, 8, tzinfo=PARIS), ("primary",)
    )
    assert [(x.person, x.start.astimezone(PARIS).strftime("%H:%M")) for x in day] == [
        (1, "08:00"),
        (2, "19:00"),
        (None, "07:00"),
    ]


def test_override_replaces_the_rotation_for_its_window() -> None:
    rot = Rotation("secondary", "Europe/Paris", (1, 2), start_date=date(2026, 1, 5))
    sick = Override(
        "secondary", 9, datetime(2026, 1, 6, 12, tzinfo=PARIS), datetime(2026, 1, 7, 12, tzinfo=PARIS)
    )
    s = Schedule("Europe/Paris", (rot,), (sick,))
    assert s.on_call(datetime(2026, 1, 6, 11, tzinfo=PARIS)) == {"primary": None, "secondary": 1}
    assert s.on_call(datetime(2026, 1, 6, 12, tzinfo=PARIS))["secondary"] == 9
    assert s.on_call(datetime(2026, 1, 7, 12, tzinfo=PARIS))["secondary"] == 1
    nxt = s.next_change(datetime(2026, 1, 6, 13, tzinfo=PARIS), "secondary")
    assert nxt is not None and nxt.person == 1 and nxt.start == datetime(2026, 1, 7, 11, tzinfo=UTC)


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(RotaError, match="tier"):
        Rotation("tertiary", "UTC", (1,))
    with pytest.raises(RotaError, match="member"):
        Rotation("primary", "UTC", ())
    with pytest.raises(RotaError, match="ends after"):
        Override("primary", 1, datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(NaiveDatetimeError):
        Schedule("UTC", (Rotation("primary", "UTC", (1,)),)).on_call(datetime(2026, 1, 1))


# --- Property: the schedule equals the brute force, minute by minute -----------------------------------

HAND_OFFS = st.one_of(
    st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3), time(8), time(9), time(20)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)


@st.composite
def rotations(draw: st.DrawFn, zone: str, night: datetime) -> RefRotation:
    local_night = night.astimezone(ZoneInfo(zone)).date()
    windows: tuple[tuple[int, time, int, time], ...] = ()
    if draw(st.booleans()):
        start = draw(st.sampled_from([time(8), time(14), time(20), time(1, 30), time(2, 30)]))
        end = draw(st.sampled_from([time(2), time(8), time(20), time(3), time(2, 15)]))
        days = draw(st.sets(st.integers(0, 6), min_size=1))
        windows = tuple(
            (w.start_weekday, w.start_time, w.end_weekday, w.end_time)
            for w in Window.daily(sorted(days), start, end)
        )
    return RefRotation(
        tier=draw(st.sampled_from(["primary", "secondary"])),
        zone=zone,
        members=tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))),
        hand_off=draw(HAND_OFFS),
        start_date=local_night - timedelta(days=draw(st.integers(0, 9))),
        length_days=draw(st.sampled_from([1, 1, 2, 7])),
        windows=windows,
    )


@st.composite
def schedules(
    draw: st.DrawFn,
) -> tuple[list[RefRotation], list[tuple[str, int, datetime, datetime]], datetime]:
    zone = draw(st.sampled_from(sorted(NIGHTS)))
    night = draw(st.sampled_from(NIGHTS[zone]))
    other = draw(st.sampled_from(sorted(NIGHTS)))
    rots = draw(st.lists(rotations(zone, night), min_size=1, max_size=2))
    if draw(st.booleans()):  # a layer in another zone (follow the sun)
        rots.append(draw(rotations(other, night)))
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        a = night + timedelta(minutes=draw(st.integers(-1500, 1500)))
        overrides.append(
            (
                draw(st.sampled_from(["primary", "secondary"])),
                99,
                a,
                a + timedelta(minutes=draw(st.integers(1, 600))),
            )
        )
    return rots, overrides, night


def build(rots: list[RefRotation], overrides: list[tuple[str, int, datetime, datetime]]) -> Schedule:
    return Schedule(
        "UTC",
        tuple(
            Rotation(
                r.tier,
                r.zone,
                r.members,
                r.hand_off,
                r.start_date,
                r.length_days,
                tuple(Window(*w) for w in r.windows),
            )
            for r in rots
        ),
        tuple(Override(*o) for o in overrides),
    )


@SETTINGS
@given(schedules())
def test_shifts_equal_the_brute_force(case: tuple[list[RefRotation], list, datetime]) -> None:
    rots, overrides, night = case
    start = night - timedelta(hours=30)
    end = night + timedelta(hours=30)
    expected = walk(rots, overrides, start, end)
    schedule = build(rots, overrides)
    got: list[dict[str, int | None]] = [{} for _ in expected]
    for shift in schedule.shifts(start, end):
        a = int((shift.start - start).total_seconds()) // 60
        b = int((shift.end - start).total_seconds()) // 60
        assert shift.start == start + timedelta(minutes=a), "boundaries fall on whole minutes here"
        for i in range(a, b):
            assert shift.tier not in got[i], "shifts of one tier never overlap"
            got[i][shift.tier] = shift.person
    for i, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, f"minute {start + timedelta(minutes=i)}: {have} != {want}"
    # Spot checks of on_call itself, on the minutes around each change.
    for i in range(0, len(expected), 37):
        assert schedule.on_call(start + timedelta(minutes=i)) == expected[i]
