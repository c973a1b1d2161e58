"""R-PLAN-4: attainment counted by the database, grouped by plan, priority, organisation and month."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.reports import outcomes, timings
from guichet.reports.attainment import AttainmentRow, attainment
from guichet.reports.exports import ticket_outcomes
from guichet.reports.parameters import NotVisible, Period, ReportError, parse_dimensions, parse_zone
from guichet.reports.statements import ticket_sla_statement
from guichet.tickets import services
from guichet.tickets.selectors import OPERATOR

from .conftest import at

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TORONTO = zoneinfo.ZoneInfo("America/Toronto")
UTC = zoneinfo.ZoneInfo("UTC")
SPRING = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30), UTC)
# After every ticket of the desk: a4's due instant (15 April) is long past.
LATER = at(6, 1, 0)


def counts(row: AttainmentRow) -> tuple:
    return (row.total, row.no_sla, row.under_sla, row.met, row.missed, row.answered_late, row.open)


def test_R_PLAN_4_totals_count_each_outcome_once(desk):
    report = attainment(person=OPERATOR, period=SPRING, as_of=LATER)
    totals = report.totals
    # 10 tickets: b0 has no SLA; met a1 a3 a5 b1 b2; missed a2 (late) a4 (never) b3 (late); b4 open.
    assert counts(totals) == (10, 1, 9, 5, 3, 2, 1)
    assert totals.breached == 1
    assert totals.attainment == Decimal("62.5")
    assert report.rows == []


def test_R_PLAN_4_by_plan_and_priority(desk):
    report = attainment(person=OPERATOR, period=SPRING, by="priority,plan", as_of=LATER)
    assert report.dimensions == ("plan", "priority")
    got = {(r.plan, r.priority): (counts(r), r.attainment) for r in report.rows}
    assert got == {
        ("", "P3"): ((1, 1, 0, 0, 0, 0, 0), None),
        ("basic", "P1"): ((1, 0, 1, 1, 0, 0, 0), Decimal("100.0")),
        ("basic", "P3"): ((1, 0, 1, 1, 0, 0, 0), Decimal("100.0")),
        ("basic", "P4"): ((2, 0, 2, 0, 1, 1, 1), Decimal("0.0")),
        ("premium", "P1"): ((2, 0, 2, 1, 1, 1, 0), Decimal("50.0")),
        ("premium", "P2"): ((2, 0, 2, 1, 1, 0, 0), Decimal("50.0")),
        ("premium", "P3"): ((1, 0, 1, 1, 0, 0, 0), Decimal("100.0")),
    }
    assert [r.key()[:2] for r in report.rows] == sorted(got)


def test_R_PLAN_4_by_organisation(desk):
    report = attainment(person=OPERATOR, period=SPRING, by=["organisation"], as_of=LATER)
    got = {r.organisation: (counts(r), r.attainment) for r in report.rows}
    assert got == {
        "Acme": ((5, 0, 5, 3, 2, 1, 0), Decimal("60.0")),
        "Borealis": ((5, 1, 4, 2, 1, 1, 1), Decimal("66.7")),
    }


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # a3 (31 March 22:30 UTC) and b2 (23:30 UTC) are already 1 April in Paris (CEST, UTC+2).
        (
            PARIS,
            {
                dt.date(2026, 3, 1): (5, 1, 3, 1, Decimal("75.0")),
                dt.date(2026, 4, 1): (5, 0, 2, 2, Decimal("50.0")),
            },
        ),
        (
            UTC,
            {
                dt.date(2026, 3, 1): (7, 1, 5, 1, Decimal("83.3")),
                dt.date(2026, 4, 1): (3, 0, 0, 2, Decimal("0.0")),
            },
        ),
        (
            TORONTO,
            {
                dt.date(2026, 3, 1): (7, 1, 5, 1, Decimal("83.3")),
                dt.date(2026, 4, 1): (3, 0, 0, 2, Decimal("0.0")),
            },
        ),
    ],
    ids=["paris", "utc", "toronto"],
)
def test_R_PLAN_4_month_uses_the_requested_zone(desk, zone, expected):
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30), zone)
    report = attainment(person=OPERATOR, period=period, by="month", as_of=LATER)
    got = {r.month: (r.total, r.no_sla, r.met, r.missed, r.attainment) for r in report.rows}
    assert got == expected
    assert [r.month_label for r in report.rows] == ["2026-03", "2026-04"]


def test_R_PLAN_4_period_bounds_are_local_days(desk):
    # April only: in Paris it starts at 31 March 22:00 UTC and so takes a3 and b2; in UTC it does not.
    april_paris = attainment(
        person=OPERATOR, period=Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30), PARIS), as_of=LATER
    )
    april_utc = attainment(
        person=OPERATOR, period=Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30), UTC), as_of=LATER
    )
    assert april_paris.totals.total == 5
    assert april_utc.totals.total == 3
    # The last day is included up to local midnight: b0 alone on 5 March (10:00 in Toronto).
    one_day = attainment(
        person=OPERATOR, period=Period(dt.date(2026, 3, 5), dt.date(2026, 3, 5), TORONTO), as_of=LATER
    )
    assert counts(one_day.totals) == (1, 1, 0, 0, 0, 0, 0)


def test_R_PLAN_4_overdue_running_counts_as_missed_before_and_after_the_sweep(desk):
    # a4 is unanswered; before its due instant (15 April 09:00 UTC) it is open, after it missed,
    # whether or not the sweep has recorded the breach yet.
    acme_april = Period(dt.date(2026, 4, 15), dt.date(2026, 4, 15), UTC)
    before = attainment(person=OPERATOR, period=acme_april, as_of=at(4, 15, 8, 30))
    assert counts(before.totals) == (1, 0, 1, 0, 0, 0, 1)
    assert before.totals.attainment is None
    after = attainment(person=OPERATOR, period=acme_april, as_of=at(4, 15, 9, 1))
    assert counts(after.totals) == (1, 0, 1, 0, 1, 0, 0)
    assert desk.t("a4").sla_state == "running"
    services.sweep_sla(now=at(4, 16, 0))
    assert desk.t("a4").sla_state == "breached"
    swept = attainment(person=OPERATOR, period=acme_april, as_of=at(4, 16, 0))
    assert counts(swept.totals) == counts(after.totals)


def test_R_PLAN_4_response_time_percentiles_in_business_time(desk):
    report = attainment(person=OPERATOR, period=SPRING, by="plan", as_of=LATER)
    premium = next(r for r in report.rows if r.plan == "premium")
    # a1 20, a3 30, a2 60 min on 24x7; a5: Saturday → Monday 30 March 09:00–12:30 CEST = 210 min.
    assert premium.response_sample == 4
    assert premium.response_median_minutes == 45.0
    assert premium.response_p90_minutes == 210.0
    no_plan = next(r for r in report.rows if r.plan == "")
    assert no_plan.response_sample == 0 and no_plan.response_median_minutes is None
    # All answered tickets under SLA: 20 30 60 60 120 210 and b3 (much longer): median 60.
    assert report.totals.response_sample == 7
    assert report.totals.response_median_minutes == 60.0


def test_R_PLAN_4_percentiles_are_left_out_beyond_the_bound_or_on_error_but_counts_stay(desk, monkeypatch):
    monkeypatch.setattr(timings, "MAX_TIMING_TICKETS", 3)
    bounded = attainment(person=OPERATOR, period=SPRING, by="plan", as_of=LATER)
    assert "at most 3 answered tickets" in bounded.timing_note
    assert bounded.totals.response_sample == 0 and bounded.totals.response_median_minutes is None
    assert all(row.response_median_minutes is None for row in bounded.rows)
    assert counts(bounded.totals) == (10, 1, 9, 5, 3, 2, 1)

    monkeypatch.setattr(timings, "MAX_TIMING_TICKETS", 20_000)

    def refuse(*args, **kwargs):
        raise ValueError("no such calendar")

    monkeypatch.setattr(timings, "response_business_minutes", refuse)
    failed = attainment(person=OPERATOR, period=SPRING, as_of=LATER)
    assert failed.timing_note == "Response-time percentiles are unavailable: no such calendar"
    assert failed.totals.response_sample == 0 and failed.totals.met == 5


def test_R_PLAN_4_counts_are_aggregated_by_the_database(desk):
    with CaptureQueriesContext(connection) as queries:
        attainment(person=OPERATOR, period=SPRING, by="plan,priority,organisation,month", with_timings=False)
    sql = [q["sql"].upper() for q in queries.captured_queries]
    # One query for the totals, one grouped query for the rows; no ticket is loaded one by one.
    assert len(sql) == 2
    assert any("GROUP BY" in q for q in sql)
    assert all("COUNT(" in q for q in sql)


def test_R_PLAN_4_customer_counts_only_their_organisation(desk):
    mine = attainment(person=desk.acme_customer, period=SPRING, by="organisation", as_of=LATER)
    assert [r.organisation for r in mine.rows] == ["Acme"]
    assert counts(mine.totals) == (5, 0, 5, 3, 2, 1, 0)
    with pytest.raises(NotVisible):
        attainment(person=desk.acme_customer, period=SPRING, organisation=desk.borealis)
    staff = attainment(person=desk.agent, period=SPRING, organisation=desk.borealis, as_of=LATER)
    assert counts(staff.totals) == (5, 1, 4, 2, 1, 1, 1)


def test_R_PLAN_4_bad_parameters_are_refused_clearly():
    with pytest.raises(ReportError, match="ends before it starts"):
        Period(dt.date(2026, 4, 1), dt.date(2026, 3, 1), UTC)
    with pytest.raises(ReportError, match="three years"):
        Period(dt.date(2020, 1, 1), dt.date(2026, 1, 1), UTC)
    with pytest.raises(ReportError, match="Mars/Olympus"):
        parse_zone("Mars/Olympus")
    with pytest.raises(ReportError, match="customer"):
        parse_dimensions("plan,customer")
    assert parse_dimensions("month, plan") == ("plan", "month")


def test_R_PLAN_4_ticket_solved_before_any_response_is_neither_met_nor_missed(desk):
    may = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31), UTC)
    ticket = services.open_ticket(
        actor=desk.agent,
        requester=desk.acme_customer,
        subject="never mind",
        body="It works again.",
        priority="P3",
        channel="email",
        submitted_at=at(5, 5, 8),
    )
    services.change_status(
        actor=desk.agent, ticket=ticket, status="solved", reason="withdrawn", at=at(5, 5, 9)
    )
    report = attainment(person=OPERATOR, period=may, as_of=LATER)
    assert counts(report.totals) == (1, 0, 1, 0, 0, 0, 0)
    assert report.totals.closed_unanswered == 1
    assert report.totals.attainment is None
    assert ticket_sla_statement(ticket, person=OPERATOR).outcome == outcomes.CLOSED_UNANSWERED
    # Reopened, the clock runs again: past its due instant it is missed.
    services.change_status(actor=desk.agent, ticket=ticket, status="open", reason="back", at=at(5, 6, 9))
    reopened = attainment(person=OPERATOR, period=may, as_of=LATER)
    assert (reopened.totals.closed_unanswered, reopened.totals.missed) == (0, 1)


@pytest.mark.parametrize(
    "as_of", [at(3, 20, 10, 15), at(4, 15, 8, 59), at(4, 15, 9, 0), at(4, 22, 21), LATER]
)
def test_R_PLAN_4_aggregates_exports_and_statements_agree(desk, as_of):
    from collections import Counter

    report = attainment(person=OPERATOR, period=SPRING, by="organisation", as_of=as_of, with_timings=False)
    exported = list(ticket_outcomes(person=OPERATOR, period=SPRING, as_of=as_of))
    by_export = Counter((row["organisation"], row["outcome"]) for row in exported)
    by_statement = Counter(
        (ticket.organisation.name, ticket_sla_statement(ticket, person=OPERATOR, as_of=as_of).outcome)
        for ticket in (desk.t(name) for name in desk.tickets)
    )
    assert by_export == by_statement
    for row in report.rows:
        assert row.met == by_export[(row.organisation, outcomes.MET)]
        assert row.breached == by_export[(row.organisation, outcomes.MISSED_UNANSWERED)]
        assert row.answered_late == by_export[(row.organisation, outcomes.MISSED_LATE)]
        assert row.open == by_export[(row.organisation, outcomes.OPEN)]
        assert row.no_sla == by_export[(row.organisation, outcomes.NO_SLA)]
    assert report.totals.total == len(exported) == 10


def test_R_PLAN_4_response_times_use_the_calendar_frozen_in_the_ledger(desk):
    """Report truth (issue 12): a holiday override added to the contract after the ticket was
    submitted does not change its business response time (b2: 120 business minutes, answered on
    Wednesday 1 April at 10:00 Toronto); the contract's current calendar would give 0."""
    from guichet.contracts.models import HolidayOverride

    contract = desk.borealis.contracts.get()
    HolidayOverride.objects.create(contract=contract, date=dt.date(2026, 4, 1), name="Closed after all")
    assert contract.calendar("P3").between(at(3, 31, 23, 30), at(4, 1, 14)) == dt.timedelta(0)
    report = attainment(
        person=OPERATOR, period=SPRING, organisation=desk.borealis, by="priority", as_of=LATER
    )
    p3 = next(row for row in report.rows if row.priority == "P3")
    assert p3.response_sample == 1 and p3.response_median_minutes == 120.0


def test_R_PLAN_4_a_ticket_closed_unanswered_counts_as_missed_when_the_contract_says_so(db):
    """Report truth (issue 12): solving a ticket without any reply makes it drop out of attainment
    unless the contract counts it as missed (closed_unanswered_missed, frozen in its ledger)."""
    from guichet.accounts.models import Role
    from guichet.contracts.models import Plan
    from tests.factories import make_org, make_person, open_for, paris

    agent = make_person("agent-x", Role.AGENT, password=None)
    for name, missed in (("Strict", True), ("Lenient", False)):
        org = make_org(name, Plan.BASIC, closed_unanswered_missed=missed)
        customer = make_person(f"c-{name}", org=org, password=None)
        ticket = open_for(agent, customer, "P3", at=paris(2, 9))
        services.change_status(actor=agent, ticket=ticket, status="solved", at=paris(2, 10), reason="")
        report = attainment(
            person=OPERATOR, period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), UTC), organisation=org
        )
        row = report.totals
        assert (row.missed, row.closed_missed, row.closed_unanswered) == ((1, 1, 0) if missed else (0, 0, 1))
        assert row.attainment == (Decimal("0.0") if missed else None)
        rows = list(ticket_outcomes(person=OPERATOR, period=report.period, organisation=org))
        assert [r["outcome"] for r in rows] == ["closed_missed" if missed else "closed_unanswered"]
