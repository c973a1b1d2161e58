"""On call in the API (now and next, a ticket's paging history, acknowledge) and in the CLI
(`guichet oncall now|preview|fire`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from guichet.accounts.models import ApiToken
from guichet.oncall.models import Escalation, EscalationState
from tests.factories import open_ticket


def bearer(person) -> dict[str, str]:
    _token, clear = ApiToken.issue(person, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def test_api_now_paging_and_acknowledge(client, world):
    ticket = open_ticket(world.premium_customer, "P1")
    auth = bearer(world.bob)
    now = client.get("/api/v1/oncall/now", **auth).json()
    assert now[0]["schedule"] == "Support" and now[0]["primary"] == "Alice" and now[0]["secondary"] == "Bob"
    history = client.get(f"/api/v1/tickets/{ticket.pk}/paging", **auth).json()
    assert [h["kind"] for h in history][:2] == ["triggered", "paged"]
    r = client.post(f"/api/v1/tickets/{ticket.pk}/acknowledge", **auth)
    assert r.json() == {"acknowledged": 1}
    esc = Escalation.objects.get(ticket=ticket)
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.acknowledged_by == world.bob
    assert client.post(f"/api/v1/tickets/{ticket.pk}/acknowledge", **auth).json() == {"acknowledged": 0}
    customer = bearer(world.premium_customer)
    assert client.get("/api/v1/oncall/now", **customer).status_code == 403
    # Paging is internal: a customer's own ticket answers as if it did not exist.
    assert client.post(f"/api/v1/tickets/{ticket.pk}/acknowledge", **customer).status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket.pk}/paging", **customer).status_code == 404


def test_cli_now_and_preview(world):
    out = StringIO()
    call_command("oncall", "now", "--zone", "America/Montreal", stdout=out)
    assert "Support: primary Alice, secondary Bob" in out.getvalue()
    out = StringIO()
    call_command(
        "oncall", "preview", "--plan", "premium", "--priority", "P1", "--at", "2026-03-07T03:00", stdout=out
    )
    assert "A Premium P1 at Saturday 03:00 Paris time pages: at once Alice (primary)" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("oncall", "now", "--zone", "Nowhere/Land", stdout=StringIO())
    out = StringIO()
    call_command("oncall", "fire", stdout=out)
    assert "0 page(s) owed" in out.getvalue()
