"""R-PLAN-4 on the web: /reports/ for staff (every organisation) and customers (their own only)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

SPRING = {"from": "2026-03-01", "to": "2026-04-30", "zone": "Europe/Paris"}


def client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def read_json(response) -> list[dict]:
    return json.loads(b"".join(response.streaming_content))


def test_R_PLAN_4_report_page_for_staff_shows_every_organisation(desk):
    response = client_for(desk.agent).get(
        reverse("reports_attainment"), {**SPRING, "by": ["organisation", "month"]}
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.organisation, r.month_label, r.total) for r in report.rows] == [
        ("Acme", "2026-03", 3),
        ("Acme", "2026-04", 2),
        ("Borealis", "2026-03", 2),
        ("Borealis", "2026-04", 3),
    ]
    html = response.content.decode()
    assert "62.5 %" in html  # the totals: 5 met of 8 decided
    assert 'href="/reports/export.csv?' in html
    # Strict CSP: the page carries no inline script or style.
    assert "<style" not in html and "style=" not in html
    assert "<script>" not in html


def test_R_PLAN_4_report_page_for_a_customer_is_their_organisation_only(desk):
    client = client_for(desk.acme_customer)
    response = client.get(reverse("reports_attainment"), {**SPRING, "by": ["organisation"]})
    assert response.status_code == 200
    report = response.context["report"]
    assert [r.organisation for r in report.rows] == ["Acme"]
    assert report.totals.total == 5
    html = response.content.decode()
    assert "Borealis" not in html
    assert 'name="organisation"' not in html
    # Another organisation's figures: 404, like a page that does not exist.
    other = client.get(reverse("reports_attainment"), {**SPRING, "organisation": desk.borealis.pk})
    assert other.status_code == 404
    own = client.get(reverse("reports_attainment"), {**SPRING, "organisation": desk.acme.pk})
    assert own.status_code == 200
    assert own.context["report"].organisation == desk.acme
    assert client.get(reverse("reports_attainment"), {**SPRING, "organisation": "acme"}).status_code == 404
    # Staff choose in the form: an organisation that does not exist is bad input, not a 404.
    staff = client_for(desk.agent).get(reverse("reports_attainment"), {**SPRING, "organisation": 987654})
    assert staff.status_code == 400


def test_R_PLAN_4_report_page_defaults_and_errors(desk):
    client = client_for(desk.agent)
    default = client.get(reverse("reports_attainment"))
    assert default.status_code == 200 and default.context["report"] is not None
    bad = client.get(reverse("reports_attainment"), {"from": "2026-04-30", "to": "2026-03-01"})
    assert bad.status_code == 400
    assert "The period ends before it starts." in bad.content.decode()
    zone = client.get(reverse("reports_attainment"), {**SPRING, "zone": "Mars/Olympus"})
    assert zone.status_code == 400
    assert "not a known IANA time zone" in zone.content.decode()


def test_R_PLAN_4_report_needs_a_login(desk):
    response = Client().get(reverse("reports_attainment"), SPRING)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_R_PLAN_4_csv_export_streams_per_ticket_outcomes(desk):
    response = client_for(desk.agent).get(reverse("reports_export_csv"), SPRING)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert len(rows) == 10
    outcomes = {r["ticket"]: r["outcome"] for r in rows}
    expected = {
        "a1": "met",
        "a2": "answered_late",
        "a3": "met",
        "a4": "breached",
        "a5": "met",
        "b0": "no_sla",
        "b1": "met",
        "b2": "met",
        "b3": "answered_late",
        "b4": "open",
    }
    assert outcomes == {str(desk.tickets[name].pk): outcome for name, outcome in expected.items()}
    a3 = next(r for r in rows if r["ticket"] == str(desk.tickets["a3"].pk))
    assert a3["month"] == "2026-04"  # 31 March 22:30 UTC is April in Paris
    assert a3["submitted_at"] == "2026-03-31T22:30:00+00:00"
    assert a3["target_minutes"] == "60" and a3["plan"] == "premium"


def test_R_PLAN_4_exports_for_a_customer_hold_only_their_tickets(desk):
    client = client_for(desk.borealis_customer)
    rows = read_csv(client.get(reverse("reports_export_csv"), SPRING))
    assert {r["organisation"] for r in rows} == {"Borealis"}
    assert len(rows) == 5
    data = read_json(client.get(reverse("reports_export_json"), SPRING))
    assert {r["ticket"] for r in data} == {desk.tickets[n].pk for n in ("b0", "b1", "b2", "b3", "b4")}
    assert (
        client.get(reverse("reports_export_csv"), {**SPRING, "organisation": desk.acme.pk}).status_code == 404
    )
    assert (
        client.get(reverse("reports_export_json"), {**SPRING, "organisation": desk.acme.pk}).status_code
        == 404
    )


def test_R_PLAN_4_export_refuses_bad_parameters(desk):
    response = client_for(desk.agent).get(reverse("reports_export_csv"), {"from": "2026-13-01", "to": "x"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_R_PLAN_4_csv_cells_cannot_become_spreadsheet_formulas(desk):
    desk.acme.name = '=HYPERLINK("http://evil")'
    desk.acme.save()
    rows = read_csv(client_for(desk.agent).get(reverse("reports_export_csv"), SPRING))
    names = {r["organisation"] for r in rows}
    assert '\'=HYPERLINK("http://evil")' in names
    assert not any(name.startswith("=") for name in names)


def test_R_PLAN_4_statement_page_and_json(desk):
    pk = desk.tickets["a5"].pk
    client = client_for(desk.acme_customer)
    page = client.get(reverse("reports_statement", args=[pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Met" in html and "Q-ACME" in html
    assert 'datetime="2026-03-30T11:00:00+00:00"' in html
    data = json.loads(client.get(reverse("reports_statement_json", args=[pk])).content)
    assert data["outcome"] == "met" and [e["kind"] for e in data["events"]] == ["applied", "fulfilled"]


@pytest.mark.parametrize("name", ["reports_statement", "reports_statement_json"])
def test_R_PLAN_4_statement_of_another_organisation_is_404(desk, name):
    client = client_for(desk.acme_customer)
    assert client.get(reverse(name, args=[desk.tickets["b1"].pk])).status_code == 404
    assert client.get(reverse(name, args=[999_999])).status_code == 404
    assert client_for(desk.agent).get(reverse(name, args=[desk.tickets["b1"].pk])).status_code == 200


def test_R_PLAN_4_report_page_in_french(desk):
    client = client_for(desk.agent)
    client.cookies["django_language"] = "fr"
    response = client.get(reverse("reports_attainment"), SPRING)
    assert response.status_code == 200
    assert response.context["LANGUAGE_CODE"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_R_PLAN_4_export_of_missed_targets_only(desk):
    client = client_for(desk.agent)
    page = client.get(reverse("reports_attainment"), SPRING).content.decode()
    assert "outcome=missed" in page
    rows = read_csv(client.get(reverse("reports_export_csv"), {**SPRING, "outcome": "missed"}))
    assert sorted(r["ticket"] for r in rows) == sorted(str(desk.tickets[n].pk) for n in ("a2", "a4", "b3"))
    met = read_json(client.get(reverse("reports_export_json"), {**SPRING, "outcome": "met"}))
    assert len(met) == 5 and {r["outcome"] for r in met} == {"met"}
    bad = client.get(reverse("reports_export_csv"), {**SPRING, "outcome": "lost"})
    assert bad.status_code == 400 and "Unknown outcome lost" in bad.content.decode()
