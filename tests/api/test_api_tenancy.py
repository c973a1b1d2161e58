"""Cross-tenant matrix: a customer of organisation A can neither read, guess nor alter anything of
organisation B through any operation of the API. Operations are enumerated from the OpenAPI
schema, so a new endpoint without an entry here fails this test."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from guichet.accounts.models import ApiToken, Organisation
from guichet.api.api import api as ninja_api
from guichet.contracts.models import Contract
from guichet.tickets.models import (
    Attachment,
    AuditEntry,
    ContactAttempt,
    Message,
    SlaEvent,
    Ticket,
)

# A valid body for every write with an id in its path: a refusal must come from tenancy, not from
# validation (a 422 would hide a missing check).
BODIES = {
    "/tickets/{ticket_id}/status": {"status": "solved", "reason": "x"},
    "/tickets/{ticket_id}/assign": {"assignee_id": None},
    "/tickets/{ticket_id}/raise": {"priority": "P1", "reason": "x", "impact_confirmed": True},
    "/tickets/{ticket_id}/downgrade": {"reason": "x"},
    "/tickets/{ticket_id}/contact-attempts": {"channel": "email", "note": "x"},
    "/tickets/{ticket_id}/calls": {
        "caller": "x",
        "phone_number": "+14165550100",
        "duration_seconds": 1,
        "summary": "x",
    },
    "/tickets/{ticket_id}/messages": {"body": "Injected into B"},
    "/tickets/{ticket_id}/acknowledge": {},
    "/organisations/{organisation_id}/contracts": {
        "reference": "Q-X",
        "plan": "premium",
        "time_zone": "Europe/Paris",
        "holiday_country": "FR",
        "valid_from": "2026-01-01",
    },
}


def operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema(path_prefix="/")
    ops = []
    for path, methods in schema["paths"].items():
        for method in methods:
            ops.append((method.upper(), path))
    return ops


def with_ids(operations_list):
    return [(m, p) for m, p in operations_list if "{" in p]


def snapshot(world) -> dict:
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Ticket,
                Message,
                ContactAttempt,
                SlaEvent,
                AuditEntry,
                Organisation,
                Contract,
                Attachment,
            )
        },
        "ticket_b": model_to_dict(Ticket.objects.get(pk=world.ticket_b.pk)),
        "contract_b": model_to_dict(Contract.objects.get(pk=world.contract_b.pk)),
        "org_b": model_to_dict(Organisation.objects.get(pk=world.org_b.pk)),
    }


def fill(path: str, world, *, missing: bool = False) -> str:
    ids = {
        "{attachment_id}": Attachment.objects.get(message__ticket=world.ticket_b).pk,
        "{ticket_id}": world.ticket_b.pk,
        "{organisation_id}": world.org_b.pk,
        "{contract_id}": world.contract_b.pk,
    }
    for key, value in ids.items():
        path = path.replace(key, str(987654 if missing else value))
    assert "{" not in path, f"no id for {path}: extend fill()"
    return path


def call(client_api, method: str, path: str, template: str):
    if method == "GET":
        return client_api.get(path)
    assert template in BODIES, f"add a valid body for {method} {template} to BODIES"
    return client_api.post(path, BODIES[template])


def test_every_operation_with_an_id_is_covered():
    templates = {p for m, p in with_ids(operations()) if m != "GET"}
    assert templates <= set(BODIES), templates - set(BODIES)


@pytest.mark.parametrize(("method", "template"), with_ids(operations()))
def test_customer_of_a_gets_404_on_b_and_nothing_changes(world, method, template):
    before = snapshot(world)
    response = call(world.api("alice"), method, fill(template, world), template)
    assert response.status_code == 404, (method, template, response.status_code, response.content)
    assert response.json()["code"] == "not_found"
    assert "Beta" not in response.content.decode()
    assert snapshot(world) == before


@pytest.mark.parametrize(("method", "template"), with_ids(operations()))
def test_other_orgs_ids_answer_exactly_like_missing_ids(world, method, template):
    alice = world.api("alice")
    other = call(alice, method, fill(template, world), template)
    missing = call(alice, method, fill(template, world, missing=True), template)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_b_attachment_cannot_be_fetched_through_a_ticket_of_a(world):
    b_file = Attachment.objects.get(message__ticket=world.ticket_b)
    response = world.api("alice").get(f"/tickets/{world.ticket_a.pk}/attachments/{b_file.pk}")
    assert response.status_code == 404
    assert b"Beta" not in response.content


def test_b_message_ids_cannot_be_reached_through_a_ticket_of_a(world):
    # Messages are only addressed under their ticket; B's message ids never appear under A's ticket.
    b_messages = set(Message.objects.filter(ticket=world.ticket_b).values_list("id", flat=True))
    items = world.api("alice").get(f"/tickets/{world.ticket_a.pk}/messages", limit=200).json()["items"]
    assert b_messages and not (b_messages & {m["id"] for m in items})


def test_lists_never_show_b(world):
    alice = world.api("alice")
    tickets = alice.get("/tickets", limit=200).json()["items"]
    assert tickets and {t["organisation"]["id"] for t in tickets} == {world.org_a.pk}
    assert alice.get("/tickets", organisation=world.org_b.pk).json()["items"] == []
    assert [o["id"] for o in alice.get("/organisations").json()] == [world.org_a.pk]
    contracts = alice.get(f"/organisations/{world.org_a.pk}/contracts").json()
    assert [c["id"] for c in contracts] == [world.contract_a.pk]


def test_cannot_open_a_ticket_for_b_or_in_bs_name(world):
    before = snapshot(world)
    alice = world.api("alice")
    body = {"subject": "x", "body": "y", "priority": "P4"}
    assert alice.post("/tickets", body | {"organisation_id": world.org_b.pk}).status_code == 404
    assert alice.post("/tickets", body | {"requester_id": world.bob.pk}).status_code == 404
    assert snapshot(world) == before


def test_preview_of_b_is_404(world):
    assert world.api("alice").get("/preview", organisation=world.org_b.pk).status_code == 404


def test_cannot_assign_b_people_or_probe_them(world):
    response = world.api("alice").post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": world.bob.pk})
    assert response.status_code == 404
    assert Ticket.objects.get(pk=world.ticket_a.pk).assignee is None


def test_revoked_token_of_a_contact_reads_nothing(world):
    ApiToken.objects.filter(person=world.alice).update(revoked_at="2026-01-01T00:00:00Z")
    assert world.api("alice").get(f"/tickets/{world.ticket_a.pk}").status_code == 401


def test_staff_see_both_organisations(world):
    agent = world.api("agent")
    assert agent.get(f"/tickets/{world.ticket_b.pk}").status_code == 200
    assert agent.get(f"/contracts/{world.contract_b.pk}").status_code == 200
    assert {o["id"] for o in agent.get("/organisations").json()} == {world.org_a.pk, world.org_b.pk}


def test_only_admins_manage_organisations_and_contracts(world):
    before = snapshot(world)
    contract = BODIES["/organisations/{organisation_id}/contracts"]
    for who in ("agent", "alice"):
        api = world.api(who)
        assert api.post("/organisations", {"name": "Gamma"}).status_code == 403
        assert api.post(f"/organisations/{world.org_a.pk}/contracts", contract).status_code == 403
    assert snapshot(world) == before
