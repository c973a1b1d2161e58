"""Organisations, contracts, /me and /preview, and translated errors."""

from __future__ import annotations

import datetime as dt

from guichet.accounts.models import Organisation
from guichet.contracts.models import Contract


def test_me(world):
    body = world.api("agent").get("/me").json()
    assert body["username"] == "agent" and body["role"] == "agent" and body["organisation_id"] is None


def test_customer_reads_own_organisation_and_contracts(world):
    alice = world.api("alice")
    assert alice.get(f"/organisations/{world.org_a.pk}").json()["name"] == "Acme"
    contracts = alice.get(f"/organisations/{world.org_a.pk}/contracts").json()
    assert contracts[0]["reference"] == "Q-A-1" and contracts[0]["time_zone"] == "Europe/Paris"
    one = alice.get(f"/contracts/{world.contract_a.pk}").json()
    assert one["plan"] == "basic" and one["valid_from"] == "2026-01-01" and one["valid_until"] is None


def test_admin_creates_organisation_and_contract(world):
    admin = world.api("admin")
    created = admin.post("/organisations", {"name": "Gamma", "email_domain": "Gamma.TEST "})
    assert created.status_code == 201, created.content
    org = Organisation.objects.get(pk=created.json()["id"])
    assert org.email_domain == "gamma.test"
    contract = admin.post(
        f"/organisations/{org.pk}/contracts",
        {
            "reference": "Q-G-1",
            "plan": "premium",
            "hours": "24x5",
            "region": "north-america",
            "time_zone": "America/Toronto",
            "holiday_country": "CA",
            "holiday_subdivision": "ON",
            "valid_from": "2026-02-01",
            "target_overrides": {"P1": 20},
        },
    )
    assert contract.status_code == 201, contract.content
    stored = Contract.objects.get(pk=contract.json()["id"])
    assert stored.organisation == org and stored.target_overrides == {"P1": 20} and stored.hours == "24x5"


def test_duplicate_organisation_name_is_409(world):
    response = world.api("admin").post("/organisations", {"name": "Acme"})
    assert response.status_code == 409
    assert Organisation.objects.filter(name="Acme").count() == 1


def test_invalid_contract_is_422_and_not_stored(world):
    admin = world.api("admin")
    before = Contract.objects.count()
    base = {"reference": "Q", "plan": "basic", "time_zone": "Europe/Paris", "holiday_country": "FR"}
    bad_zone = admin.post(
        f"/organisations/{world.org_a.pk}/contracts",
        base | {"time_zone": "Mars/Olympus", "valid_from": "2026-01-01"},
    )
    assert bad_zone.status_code == 422
    backwards = admin.post(
        f"/organisations/{world.org_a.pk}/contracts",
        base | {"valid_from": "2026-05-01", "valid_until": "2026-04-01"},
    )
    assert backwards.status_code == 422
    country = admin.post(
        f"/organisations/{world.org_a.pk}/contracts",
        base | {"holiday_country": "ZZ", "valid_from": "2026-01-01"},
    )
    assert country.status_code == 422
    assert Contract.objects.count() == before


def test_preview_for_customer_matches_the_ticket_terms(world):
    at = "2026-03-13T16:30:00+01:00"  # Friday 16:30 in Paris
    body = world.api("alice").get("/preview", at=at).json()
    assert body["organisation_id"] == world.org_a.pk and body["contract_id"] == world.contract_a.pk
    assert [p["priority"] for p in body["priorities"]] == ["P1", "P2", "P3", "P4"]
    instant = dt.datetime.fromisoformat(at)
    for item in body["priorities"]:
        terms = world.contract_a.terms(item["priority"])
        expected = terms.calendar.calendar().add(instant, terms.target)
        due = dt.datetime.fromisoformat(item["due"])
        assert due == expected and due == dt.datetime.fromisoformat(item["due_utc"])
        assert due.utcoffset() == dt.timedelta(hours=1)  # Paris winter time, the customer's offset
        assert item["target_minutes"] * 60 == terms.target.total_seconds()
        assert "Europe/Paris" in item["calendar"]
    # By hand: Friday 16:30-17:00 counts 30 min, then Monday-Friday 09:00-17:00 (Paris, Basic 8x5).
    assert [p["due"] for p in body["priorities"]] == [
        "2026-03-16T10:30:00+01:00",  # P1, 2 h
        "2026-03-17T12:30:00+01:00",  # P2, 12 h
        "2026-03-18T16:30:00+01:00",  # P3, 24 h
        "2026-03-18T16:30:00+01:00",  # P4, 24 h
    ]


def test_preview_matches_a_ticket_opened_at_that_instant(world):
    from .conftest import open_ticket

    at = dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.UTC)
    body = world.api("bob").get("/preview", at=at.isoformat()).json()
    ticket = open_ticket(world.bob, "Compare", priority="P4", by=world.agent, submitted_at=at)
    p4 = next(p for p in body["priorities"] if p["priority"] == "P4")
    assert dt.datetime.fromisoformat(p4["due"]) == ticket.sla_due_at


def test_preview_without_contract_in_force_is_empty(world):
    body = world.api("alice").get("/preview", at="2025-06-01T12:00:00+00:00").json()
    assert body["contract_id"] is None and body["priorities"] == []


def test_preview_staff_must_name_the_organisation(world):
    agent = world.api("agent")
    assert agent.get("/preview").status_code == 422
    assert agent.get("/preview", organisation=world.org_b.pk).json()["time_zone"] == "America/Toronto"
    assert agent.get("/preview", organisation=987654).status_code == 404
    assert world.api("alice").get("/preview", at="2026-03-13T16:30:00").status_code == 422  # naive


def test_errors_follow_accept_language(world):
    english = world.api("admin", language="en").post("/organisations", {"name": "Acme"})
    french = world.api("admin", language="fr").post("/organisations", {"name": "Acme"})
    assert english.status_code == french.status_code == 409
    assert english["Content-Language"] == "en" and french["Content-Language"] == "fr"
    # Django's own catalogue translates the uniqueness message.
    assert "already exists" in english.json()["message"]
    assert "existe déjà" in french.json()["message"]


def test_without_accept_language_the_persons_language_applies(world):
    response = world.api("anna").get("/tickets/987654")  # anna's profile language is French
    assert response.status_code == 404
    assert response["Content-Language"] == "fr"
