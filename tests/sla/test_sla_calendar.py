"""Edge cases of calendars: boundaries, DST, holidays, validation, caching, batch, explain."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.sla import (
    Calendar,
    EmptyCalendarError,
    HolidaySource,
    InvalidChoiceError,
    InvalidTargetError,
    InvalidWindowError,
    NaiveDatetimeError,
    SlaError,
    UnknownCountryError,
    UnknownSubdivisionError,
    UnknownTimezoneError,
    Window,
    calendar_for,
)

PARIS = ZoneInfo("Europe/Paris")
NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def ww() -> Calendar:
    return calendar_for("8x5", "worldwide", "Europe/Paris", "FR")


@pytest.fixture
def h24x5() -> Calendar:
    return calendar_for("24x5", "worldwide", "Europe/Paris", "FR")


def test_target_used_up_at_closing_is_due_at_closing(ww: Calendar) -> None:
    assert ww.add(paris(2026, 7, 10, 15), 2 * H) == paris(2026, 7, 10, 17)  # Friday 17:00, not Monday
    assert ww.add(paris(2026, 7, 10, 15), 2 * H + timedelta(seconds=1)) == paris(2026, 7, 13, 9, 0, 1)


def test_window_boundaries_are_half_open(ww: Calendar) -> None:
    assert ww.is_open(paris(2026, 7, 9, 9))
    assert not ww.is_open(paris(2026, 7, 9, 17))
    assert not ww.is_open(paris(2026, 7, 9, 8, 59, 59))
    assert ww.next_open(paris(2026, 7, 9, 17)) == paris(2026, 7, 10, 9)
    assert ww.next_open(paris(2026, 7, 9, 12)) == paris(2026, 7, 9, 12)


def test_submission_inside_closed_time_starts_at_next_opening(ww: Calendar) -> None:
    assert ww.add(paris(2026, 7, 11, 10), 30 * M) == paris(2026, 7, 13, 9, 30)  # Saturday
    assert ww.add(paris(2026, 7, 9, 20), 30 * M) == paris(2026, 7, 10, 9, 30)  # evening


def test_holiday_on_monday_and_friday() -> None:
    fr = calendar_for("8x5", "worldwide", "Europe/Paris", "FR")
    # Easter Monday 2026-04-06 is closed: Friday 16:00 + 2 h -> Tuesday 10:00.
    assert fr.add(paris(2026, 4, 3, 16), 2 * H) == paris(2026, 4, 7, 10)
    us = calendar_for("8x5", "north-america", "America/New_York", "US", "NY")
    # 2026-07-03 (Friday) is the observed Independence Day.
    thursday = datetime(2026, 7, 2, 16, 30, tzinfo=NY)
    assert us.add(thursday, H) == datetime(2026, 7, 6, 8, 30, tzinfo=NY)


def test_24x5_edges(h24x5: Calendar) -> None:
    assert h24x5.add(paris(2026, 7, 10, 23, 58), M) == paris(2026, 7, 10, 23, 59)
    assert h24x5.add(paris(2026, 7, 10, 23, 58), 2 * M) == paris(2026, 7, 13, 0, 2)
    assert not h24x5.is_open(paris(2026, 7, 13, 0, 0, 30))  # Monday 00:00-00:01 is closed
    assert h24x5.add(paris(2026, 7, 13, 0, 0), M) == paris(2026, 7, 13, 0, 2)
    assert h24x5.is_open(paris(2026, 7, 14, 3))  # Tuesday 03:00 (and 14 July: no holidays in 24x5)
    assert h24x5.between(paris(2026, 7, 10, 0), paris(2026, 7, 13, 12)) == 24 * H - M + 12 * H - M


def test_dst_on_weekday_counts_real_time() -> None:
    jer = ZoneInfo("Asia/Jerusalem")
    cal = calendar_for("24x5", "worldwide", "Asia/Jerusalem", "IL")
    # Friday 2026-03-27 02:00 -> 03:00: the skipped hour counts nothing.
    assert (
        datetime(2026, 3, 27, 6, tzinfo=jer).utcoffset() != datetime(2026, 3, 27, 0, tzinfo=jer).utcoffset()
    )
    assert cal.between(datetime(2026, 3, 27, 0, tzinfo=jer), datetime(2026, 3, 27, 6, tzinfo=jer)) == 5 * H
    cairo = ZoneInfo("Africa/Cairo")
    cal = calendar_for("24x5", "worldwide", "Africa/Cairo", "EG")
    # Thursday 2026-10-29 24:00 -> 23:00: the repeated hour counts twice.
    a, b = datetime(2026, 10, 29, 22, tzinfo=cairo), datetime(2026, 10, 30, 1, tzinfo=cairo)
    assert b.timestamp() - a.timestamp() == 4 * 3600
    assert cal.between(a, b) == 4 * H


def test_repeated_hour_inside_a_window_counts_twice() -> None:
    cal = Calendar("Europe/Paris", [Window(6, time(1, 30), 6, time(3))])  # Sunday 01:30-03:00
    # 2026-10-25: 03:00 CEST -> 02:00 CET. Wall 01:30-03:00 lasts 2.5 real hours.
    start = paris(2026, 10, 25, 0)
    assert cal.between(start, start + timedelta(days=1)) == timedelta(hours=2, minutes=30)
    spring = paris(2026, 3, 29, 0)  # 02:00 -> 03:00: only 01:30-02:00 exists
    assert cal.between(spring, spring + timedelta(days=1)) == timedelta(minutes=30)


def test_24x7_is_plain_utc_arithmetic() -> None:
    cal = calendar_for("24x7", "worldwide", "Europe/Paris", "FR")
    start = paris(2026, 10, 24, 20)  # DST ends that night
    due = cal.add(start, 12 * H)
    assert due == paris(2026, 10, 25, 7) and due.utcoffset() == H
    assert cal.between(start, due) == 12 * H


def test_targets_spanning_months_and_long_target_cost(ww: Calendar) -> None:
    start = paris(2026, 1, 5, 9)
    due = ww.add(start, 2000 * H)
    assert ww.between(start, due) == 2000 * H
    assert due == paris(2026, 12, 30, 17)  # 250 business days, French holidays skipped
    assert ww.add(start, timedelta(days=3650)) > start  # ~10 business years, decades of calendar


def test_lord_howe_and_kathmandu() -> None:
    lh = Calendar("Australia/Lord_Howe", Window.daily(range(7), time(1), time(3)))
    tz = lh.tz
    # 2026-04-05 02:00 (+11) -> 01:30 (+10:30): wall 01:00-03:00 lasts 2.5 h that day.
    day = datetime(2026, 4, 5, tzinfo=tz)
    assert lh.between(day, day + timedelta(days=1)) == timedelta(hours=2, minutes=30)
    ktm = calendar_for("8x5", "worldwide", "Asia/Kathmandu", "NP")
    start = datetime(2026, 7, 8, 16, tzinfo=ktm.tz)
    assert ktm.add(start, H).isoformat() == "2026-07-08T17:00:00+05:45"


def test_aware_inputs_in_any_zone_and_output_in_calendar_zone(ww: Calendar) -> None:
    utc_start = datetime(2026, 7, 10, 13, tzinfo=UTC)  # 15:00 Paris
    due = ww.add(utc_start, 2 * H)
    assert due.tzinfo is ww.tz and due == paris(2026, 7, 10, 17)


def test_open_intervals_preview_a_week(ww: Calendar) -> None:
    week = ww.open_intervals(paris(2026, 7, 13), paris(2026, 7, 20))
    assert [(a.isoformat(), b.isoformat()) for a, b in week][:2] == [
        ("2026-07-13T09:00:00+02:00", "2026-07-13T17:00:00+02:00"),
        ("2026-07-15T09:00:00+02:00", "2026-07-15T17:00:00+02:00"),  # 14 July skipped
    ]
    assert len(week) == 4
    assert ww.open_intervals(paris(2026, 7, 13, 12), paris(2026, 7, 13, 13)) == [
        (paris(2026, 7, 13, 12), paris(2026, 7, 13, 13))
    ]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.add(datetime(2026, 7, 10, 9), H), NaiveDatetimeError),
        (lambda c: c.between(paris(2026, 7, 10), datetime(2026, 7, 10)), NaiveDatetimeError),
        (lambda c: c.add(paris(2026, 7, 10), -H), InvalidTargetError),
        (lambda c: c.add(paris(2026, 7, 10), timedelta(days=3700)), InvalidTargetError),
        (lambda c: c.add_many_epoch([0.0], -1.0), InvalidTargetError),
        (lambda c: c.add_many_epoch([1e300], 1.0), SlaError),
        (lambda c: c.add_many_epoch([float("nan")], 1.0), SlaError),
        (lambda c: c.add_many_epoch([1.8e9, 1.8e9], [1.0, float("nan")]), SlaError),
        (lambda c: c.add(datetime(1800, 1, 1, tzinfo=UTC), H), SlaError),
    ],
)
def test_validation_of_inputs(ww: Calendar, call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        call(ww)
    assert isinstance(info.value, SlaError) and isinstance(info.value, ValueError) and str(info.value)


def test_validation_of_calendars() -> None:
    with pytest.raises(UnknownTimezoneError, match="Mars/Olympus"):
        calendar_for("8x5", "worldwide", "Mars/Olympus", "FR")
    with pytest.raises(UnknownCountryError, match="ZZ"):
        calendar_for("8x5", "worldwide", "Europe/Paris", "ZZ")
    with pytest.raises(UnknownSubdivisionError, match="XX"):
        calendar_for("8x5", "worldwide", "America/New_York", "US", "XX")
    with pytest.raises(UnknownCountryError):
        calendar_for("24x7", "worldwide", "Europe/Paris", "ZZ")  # validated even when unused
    with pytest.raises(InvalidChoiceError, match="24x5"):
        calendar_for("9x5", "worldwide", "Europe/Paris", "FR")
    with pytest.raises(InvalidChoiceError):
        calendar_for("8x5", "mars", "Europe/Paris", "FR")
    with pytest.raises(EmptyCalendarError):
        Calendar("Europe/Paris", [])
    with pytest.raises(InvalidWindowError):
        Window(7, time(9), 0, time(10))
    with pytest.raises(InvalidWindowError):
        Window(0, time(9, tzinfo=UTC), 0, time(10))


def test_far_apart_queries_do_not_accumulate_coverage() -> None:
    cal = Calendar("Europe/Paris", Window.daily(range(5), time(9), time(17)), [date(2200, 1, 1)])
    assert cal.add(paris(2026, 7, 10, 16), 2 * timedelta(hours=1)) == paris(2026, 7, 13, 10)
    assert cal.add(paris(2199, 12, 31, 16), 2 * timedelta(hours=1)) == paris(2200, 1, 2, 10)
    assert cal.add(paris(2026, 7, 10, 16), 2 * timedelta(hours=1)) == paris(2026, 7, 13, 10)


def test_sparse_calendar_with_absurdly_long_target_fails_fast() -> None:
    cal = Calendar("UTC", [Window(0, time(9), 0, time(9, 1))])  # one minute a week
    with pytest.raises(InvalidTargetError, match="years"):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=3000))


def test_subdivision_aliases_and_case() -> None:
    assert calendar_for("8x5", "north-america", "America/Los_Angeles", "us", "California") is calendar_for(
        "8x5", "north-america", "America/Los_Angeles", "US", "CA"
    )


def test_calendars_are_cached(ww: Calendar) -> None:
    assert calendar_for("8x5", "worldwide", "Europe/Paris", "FR") is ww
    w = Window.daily(range(5), time(9), time(17))
    assert Calendar("Europe/Paris", w, [date(2026, 1, 2)]) is Calendar(
        "Europe/Paris", list(w), [date(2026, 1, 2)]
    )


def test_extra_and_removed_holidays() -> None:
    cal = calendar_for(
        "8x5",
        "worldwide",
        "Europe/Paris",
        "FR",
        extra_holidays=[(date(2026, 7, 13), "Bridge day")],
        removed_holidays=[date(2026, 7, 14)],
    )
    assert not cal.is_open(paris(2026, 7, 13, 10))
    assert cal.is_open(paris(2026, 7, 14, 10))
    assert cal.explain(paris(2026, 7, 10, 16), 2 * H).holidays == ((date(2026, 7, 13), "Bridge day"),)


def test_extra_holidays_from_json_lists() -> None:
    cal = calendar_for("8x5", "worldwide", "Europe/Paris", "FR", extra_holidays=[[date(2026, 7, 13), "Pont"]])
    assert not cal.is_open(paris(2026, 7, 13, 10))
    assert cal is calendar_for(
        "8x5", "worldwide", "Europe/Paris", "FR", extra_holidays={date(2026, 7, 13): "Pont"}
    )


def test_holidays_materialised_lazily_per_year() -> None:
    source = HolidaySource.build("FR")
    cal = Calendar("Europe/Paris", Window.daily(range(5), time(9), time(17)), source)
    cal.add(paris(2031, 3, 2, 10), H)
    assert set(source._years) <= set(range(2029, 2034))


def test_explain_lists_intervals_holidays_and_closed_days(ww: Calendar) -> None:
    e = ww.explain(paris(2026, 7, 10, 16), 10 * H)
    assert e.due == paris(2026, 7, 15, 10)
    assert [(a.day, a.hour, b.hour) for a, b in e.intervals] == [(10, 16, 17), (13, 9, 17), (15, 9, 10)]
    assert e.holidays == ((date(2026, 7, 14), "Fête nationale"),)
    assert e.closed_days == (date(2026, 7, 11), date(2026, 7, 12))
    assert e.consumed == 10 * H
    data = json.loads(json.dumps(e.to_dict()))
    assert data["due"] == "2026-07-15T10:00:00+02:00" and data["target_seconds"] == 36000
    assert data["holidays"] == [{"date": "2026-07-14", "name": "Fête nationale"}]
    assert "Fête nationale" in e.to_text()


def test_batch_forms(ww: Calendar) -> None:
    starts = [paris(2026, 7, 10, 16) + timedelta(minutes=17 * i) for i in range(50)]
    assert ww.add_many(starts, 2 * H) == [ww.add(s, 2 * H) for s in starts]
    epoch = ww.add_many_epoch([s.timestamp() for s in starts], 7200.0)
    assert epoch == [ww.add(s, 2 * H).timestamp() for s in starts]
    ints = ww.add_many_epoch([int(s.timestamp()) for s in starts], 7200)
    assert ints == epoch and all(type(x) is int for x in ints)
    mixed = ww.add_many_epoch([int(s.timestamp()) for s in starts], [7200] * 49 + [7200.0])
    assert mixed == epoch
    assert ww.add_many_epoch([starts[0].timestamp()], [0.0]) == [starts[0].timestamp()]
    far = ww.add_many_epoch([starts[0].timestamp()], [2000 * 3600.0])  # grows the materialised years
    assert far == [ww.add(starts[0], 2000 * H).timestamp()]
    ends = [s + timedelta(days=3) for s in starts]
    assert ww.between_many(starts, ends) == [ww.between(a, b) for a, b in zip(starts, ends, strict=True)]


def test_fine_grained_calendar_uses_bisect_batch_path() -> None:
    cal = Calendar("Asia/Kathmandu", [Window(0, time(0, 1), 4, time(23, 59))])
    starts = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=997 * i) for i in range(200)]
    deltas = [timedelta(minutes=7 * i + 1) for i in range(200)]
    got = cal.add_many_epoch([s.timestamp() for s in starts], [d.total_seconds() for d in deltas])
    assert got == [cal.add(s, d).timestamp() for s, d in zip(starts, deltas, strict=True)]


def test_thread_safe_materialisation() -> None:
    cal = Calendar("America/New_York", Window.daily(range(5), time(7), time(19)), HolidaySource.build("US"))
    results: list[datetime] = []
    start = datetime(2040, 1, 2, 12, tzinfo=NY)

    def work() -> None:
        results.append(cal.add(start, 500 * H))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
