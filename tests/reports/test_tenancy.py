"""Reports define no tenancy rule of their own: they see exactly what `guichet.tickets.selectors`
lets each person see, for every kind of person, and their code never decides it itself."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import zoneinfo

import pytest
from django.contrib.auth.models import AnonymousUser

import guichet.reports
from guichet.accounts.models import Organisation, Role
from guichet.reports.attainment import attainment
from guichet.reports.exports import ticket_outcomes
from guichet.reports.forms import ReportForm
from guichet.reports.parameters import NotVisible, Period
from guichet.tickets import selectors
from guichet.tickets.selectors import OPERATOR

from .conftest import desk_person

SPRING = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30), zoneinfo.ZoneInfo("UTC"))


def viewers(desk) -> dict[str, object]:
    inactive_customer = desk_person("gone", Role.CUSTOMER, desk.acme, is_active=False)
    inactive_agent = desk_person("retired", Role.AGENT, is_active=False)
    return {
        "agent": desk.agent,
        "lead": desk_person("lead", Role.LEAD),
        "admin": desk_person("admin", Role.ADMIN),
        "acme customer": desk.acme_customer,
        "borealis customer": desk.borealis_customer,
        "inactive customer": inactive_customer,
        "inactive agent": inactive_agent,
        "anonymous": AnonymousUser(),
        "nobody (None)": None,
        "operator": OPERATOR,
    }


def test_reports_count_exactly_the_tickets_and_organisations_the_tickets_selectors_allow(desk):
    for name, who in viewers(desk).items():
        allowed = {t.pk for t in selectors.visible_tickets(who)}
        exported = {row["ticket"] for row in ticket_outcomes(person=who, period=SPRING)}
        assert exported == allowed, name
        assert attainment(person=who, period=SPRING, with_timings=False).totals.total == len(allowed), name
        seen = set(selectors.visible_organisations(who))
        for organisation in Organisation.objects.all():
            if organisation in seen:
                rows = ticket_outcomes(person=who, period=SPRING, organisation=organisation)
                assert {row["organisation"] for row in rows} <= {organisation.name}, name
            else:
                # Refused, never an empty report that would look like "no tickets".
                with pytest.raises(NotVisible):
                    ticket_outcomes(person=who, period=SPRING, organisation=organisation)
                with pytest.raises(NotVisible):
                    attainment(person=who, period=SPRING, organisation=organisation)


def test_the_report_form_offers_the_visible_organisations(desk):
    form = ReportForm(person=desk.agent)
    assert set(form.fields["organisation"].queryset) == set(selectors.visible_organisations(desk.agent))
    assert "organisation" not in ReportForm(person=desk.acme_customer).fields


# Models whose manager would read rows around the tenancy rule. (The percentiles read the calendars
# frozen in the ledgers of the tickets counted through `selectors.visible_ledgers`.)
_TENANT_MODELS = {"Ticket", "Organisation", "Message", "Attachment", "SlaEvent", "ContactAttempt", "Person"}
_PERSONS = {"person", "user", "viewer", "who"}


def _tenancy_decisions(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        # Model.objects...: rows read around the tickets selectors.
        if node.attr == "objects" and isinstance(owner, ast.Name) and owner.id in _TENANT_MODELS:
            found.append(f"line {node.lineno}: {owner.id}.objects")
        # person.organisation / request.user.organisation_id: a rule written from the person itself.
        if node.attr in ("organisation", "organisation_id"):
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in _PERSONS:
                found.append(f"line {node.lineno}: {name}.{node.attr}")
    return found


def test_the_reports_package_has_no_tenancy_rule_of_its_own():
    root = pathlib.Path(guichet.reports.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 8
    problems = {
        str(path.relative_to(root)): found
        for path in sources
        if (found := _tenancy_decisions(ast.parse(path.read_text(), str(path))))
    }
    assert not problems, f"reports decide who sees what; use guichet.tickets.selectors: {problems}"


def test_the_tenancy_check_finds_what_it_looks_for():
    code = "Ticket.objects.filter(organisation_id=request.user.organisation_id)\nx = person.organisation"
    assert len(_tenancy_decisions(ast.parse(code))) == 3
