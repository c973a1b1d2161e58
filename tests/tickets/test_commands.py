"""Commands of the tickets app: the import of historical tickets (`guichet importtickets`),
`guichet slasweep` and `guichet checkledger`."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.accounts.models import Role
from guichet.contracts.models import Plan
from guichet.tickets.models import AuditEntry, Message, SlaEvent, SlaState, Ticket
from tests.factories import make_org, make_person, open_for, paris


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- Import ---------------------------------------------------------------------------------------

CSV = """external_id,subject,body,priority,channel,requester,submitted_at,first_response_at,status,solved_at
H-1,Met,b,P2,email,cust,2026-03-02T10:00:00+01:00,2026-03-02T10:30:00+01:00,solved,2026-03-02T12:00:00+01:00
H-2,Late,b,P1,portal,cust@example.test,2026-03-02T10:00:00+01:00,2026-03-02T11:00:00+01:00,,
H-3,Never answered,b,P3,portal,cust,2026-03-02T10:00:00+01:00,,,
H-4,Bad time,b,P3,portal,cust,2026-03-02 10:00,,,
H-5,Unknown person,b,P3,portal,nobody,2026-03-02T10:00:00+01:00,,,
H-6,Response before submission,b,P3,portal,cust,2026-03-02T10:00:00+01:00,2026-03-01T10:00:00+01:00,,
"""


@pytest.fixture
def import_world(db, tmp_path):
    org = make_org("Acme", Plan.PREMIUM)
    make_person("cust", org=org)
    make_person("admin", Role.ADMIN)
    path = tmp_path / "tickets.csv"
    path.write_text(CSV)
    return org, path


def test_import_csv_recomputes_outcomes_and_reports_bad_rows(import_world):
    org, path = import_world
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 row"):
        call_command(
            "importtickets",
            str(path),
            "--format",
            "csv",
            "--organisation",
            "Acme",
            stdout=io.StringIO(),
            stderr=err,
        )
    errors = err.getvalue()
    assert "line 5: submitted_at" in errors and "line 6: requester 'nobody'" in errors and "line 7:" in errors
    tickets = {t.external_id: t for t in Ticket.objects.filter(organisation=org)}
    assert set(tickets) == {"H-1", "H-2", "H-3"}
    assert tickets["H-1"].sla_state == SlaState.FULFILLED and tickets["H-1"].status == "solved"
    assert tickets["H-2"].sla_state == SlaState.FULFILLED_LATE
    assert tickets["H-2"].sla_breached_at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    assert tickets["H-3"].sla_state == SlaState.BREACHED  # Premium P3: 4 h on 8x5
    assert tickets["H-3"].sla_breached_at == dt.datetime(2026, 3, 2, 13, 0, tzinfo=dt.UTC)
    # Nothing half-imported: the bad rows left no ticket, message, event or audit entry.
    assert Message.objects.exclude(ticket__in=tickets.values()).count() == 0
    assert SlaEvent.objects.exclude(ticket__in=tickets.values()).count() == 0
    assert AuditEntry.objects.filter(ticket__isnull=True).count() == 0
    # Re-running skips the rows already imported.
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "importtickets",
            str(path),
            "--format",
            "csv",
            "--organisation",
            "Acme",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "imported 0, skipped 3" in out.getvalue()
    assert Ticket.objects.count() == 3


def test_import_json_and_dry_run(import_world, tmp_path, mailoutbox):
    _org, _ = import_world
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            [
                {
                    "external_id": "J-1",
                    "subject": "s",
                    "priority": "P4",
                    "channel": "email",
                    "requester": "cust",
                    "submitted_at": "2026-03-06T18:00:00+01:00",
                    "first_response_at": "2026-03-07T10:00:00+01:00",
                }
            ]
        )
    )
    out = run("importtickets", str(path), "--format", "json", "--organisation", "Acme", "--dry-run")
    assert "would import 1" in out and not Ticket.objects.exists()
    run("importtickets", str(path), "--format", "json", "--organisation", "Acme")
    ticket = Ticket.objects.get(external_id="J-1")
    assert ticket.sla_state == SlaState.FULFILLED
    # History is not re-sent: no mail, and the old reply is not held for delivery.
    assert not mailoutbox
    assert not Message.objects.filter(ticket=ticket, delivered_at__isnull=True).exists()


def test_import_rejects_unreadable_files(import_world, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("importtickets", str(bad), "--format", "json", "--organisation", "Acme")
    headerless = tmp_path / "h.csv"
    headerless.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="lacks"):
        run("importtickets", str(headerless), "--format", "csv", "--organisation", "Acme")


# --- slasweep and checkledger ---------------------------------------------------------------------


def test_slasweep_and_checkledger(agent, premium_customer):
    ticket = open_for(agent, premium_customer, "P1", at=paris(2, 10))
    assert "0 ticket(s)" not in run("checkledger") and "0 differ" in run("checkledger")
    assert "1 breach(es)" in run("slasweep", "--now", "2026-03-02T12:00:00+01:00")
    assert "0 breach(es)" in run("slasweep", "--now", "2026-03-02T12:00:00+01:00")
    with pytest.raises(CommandError, match="offset"):
        run("slasweep", "--now", "2026-03-02T12:00:00")
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=paris(9, 9))  # behind the services' back
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 ticket"):
        call_command("checkledger", stdout=io.StringIO(), stderr=err)
    assert f"#{ticket.pk}: sla_due_at" in err.getvalue()
