"""R-PLAN-4 from the command line: `guichet report attainment|outcomes|ticket`."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from guichet.reports.exports import FORMULA_PREFIXES
from guichet.tickets.models import Ticket


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_R_PLAN_4_cli_attainment_json_by_month_in_a_zone(desk):
    data = json.loads(
        run(
            "attainment",
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-30",
            "--by",
            "month",
            "--zone",
            "Europe/Paris",
            "--format",
            "json",
            "--no-timings",
        )
    )
    assert data["zone"] == "Europe/Paris"
    assert [
        (r["month"], r["total"], r["met"], r["missed"], r["attainment_percent"]) for r in data["rows"]
    ] == [
        ("2026-03", 5, 3, 1, "75.0"),
        ("2026-04", 5, 2, 2, "50.0"),
    ]
    assert data["totals"]["no_sla"] == 1 and data["totals"]["open_within_target"] == 1


def test_R_PLAN_4_cli_attainment_for_one_organisation_as_csv_and_table(desk):
    text = run(
        "attainment",
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-30",
        "--organisation",
        "Borealis",
        "--by",
        "plan,priority",
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["plan"], r["priority"], r["met"], r["missed"]) for r in rows] == [
        ("no plan", "P3", "0", "0"),
        ("basic", "P1", "1", "0"),
        ("basic", "P3", "1", "0"),
        ("basic", "P4", "0", "1"),
        ("total", "", "2", "1"),
    ]
    assert rows[-1]["attainment_percent"] == "66.7"
    table = run("attainment", "--from", "2026-03-01", "--to", "2026-04-30", "--organisation", "Borealis")
    assert "Borealis" in table and "66.7" in table
    assert "Acme" not in table


def test_R_PLAN_4_cli_outcomes_stream(desk):
    rows = list(csv.DictReader(io.StringIO(run("outcomes", "--from", "2026-04-01", "--to", "2026-04-30"))))
    # UTC by default: April holds a4, b3 and b4 only.
    assert sorted(r["ticket"] for r in rows) == sorted(str(desk.tickets[n].pk) for n in ("a4", "b3", "b4"))
    data = json.loads(
        run(
            "outcomes",
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-30",
            "--zone",
            "Europe/Paris",
            "--format",
            "json",
        )
    )
    assert len(data) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("attainment", "--from", "2026-04-31", "--to", "2026-05-01"), "is not a date"),
        (("attainment", "--from", "2026-05-01", "--to", "2026-04-01"), "ends before it starts"),
        (
            ("attainment", "--from", "2026-04-01", "--to", "2026-04-30", "--organisation", "Nobody"),
            "No organisation",
        ),
        (("attainment", "--from", "2026-04-01", "--to", "2026-04-30", "--by", "colour"), "Unknown grouping"),
        (("attainment", "--from", "2026-04-01", "--to", "2026-04-30", "--zone", "Nowhere"), "time zone"),
        (("ticket", "424242"), "No ticket"),
    ],
)
def test_R_PLAN_4_cli_refuses_bad_input(desk, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, stdout=io.StringIO())


def test_R_PLAN_4_cli_outcomes_filtered_by_outcome(desk):
    text = run("outcomes", "--from", "2026-03-01", "--to", "2026-04-30", "--outcome", "answered_late")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["ticket"] for r in rows) == sorted(str(desk.tickets[n].pk) for n in ("a2", "b3"))
    with pytest.raises(CommandError, match="Unknown outcome"):
        run("outcomes", "--from", "2026-03-01", "--to", "2026-04-30", "--outcome", "late")


def test_R_PLAN_4_cli_csv_cells_cannot_become_spreadsheet_formulas_like_the_web_export(desk):
    evil = '=HYPERLINK("http://evil.example/x","open")'
    a1 = desk.tickets["a1"].pk
    # The subject is not an export column; external ids and organisation names are, and are typed by
    # people outside the vendor.
    Ticket.objects.filter(pk=a1).update(subject='=HYPERLINK("http://evil.example/subject")', external_id=evil)
    desk.acme.name = evil
    desk.acme.save()
    period = {"from": "2026-03-01", "to": "2026-04-30", "zone": "Europe/Paris"}
    text = run("outcomes", "--from", period["from"], "--to", period["to"], "--zone", period["zone"])
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in rows if r["ticket"] == str(a1))
    assert row["external_id"] == "'" + evil and row["organisation"] == "'" + evil
    assert not any(cell.startswith(FORMULA_PREFIXES) for r in rows for cell in r.values())
    assert "evil.example/subject" not in text
    # Exactly what the web export gives for the same filter: one guard, one writer.
    client = Client()
    client.force_login(desk.agent)
    web = client.get(reverse("reports_export_csv"), period)
    assert b"".join(web.streaming_content).decode() == text
    # The attainment CSV by organisation carries the name too.
    grouped = run(
        "attainment",
        "--from",
        period["from"],
        "--to",
        period["to"],
        "--by",
        "organisation",
        "--format",
        "csv",
    )
    names = [r["organisation"] for r in csv.DictReader(io.StringIO(grouped))]
    assert names == ["'" + evil, "Borealis", "total"]
