"""Provisioning CLI of the contracts app: `guichet org`, `guichet contract`, `guichet preview`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.accounts.models import Organisation
from guichet.contracts.models import Contract, Plan
from tests.factories import make_org


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_contract_create_sets_how_outcomes_are_judged(db):
    run("org", "create", "Acme")
    base = ["contract", "create", "--organisation", "Acme", "--plan", "basic", "--timezone", "Europe/Paris"]
    run(*base, "--country", "FR", "--from", "2026-01-01", "--until", "2026-06-30", "--reference", "Q-D")
    default = Contract.objects.get(reference="Q-D")
    assert default.downgrade_keeps_miss is True and default.closed_unanswered_missed is False
    run(
        *base,
        "--country",
        "FR",
        "--from",
        "2026-07-01",
        "--reference",
        "Q-S",
        "--downgrade-waives-miss",
        "--closed-unanswered-missed",
    )
    strict = Contract.objects.get(reference="Q-S")
    assert strict.downgrade_keeps_miss is False and strict.closed_unanswered_missed is True
    terms = strict.terms("P1")
    assert terms.downgrade_keeps_miss is False and terms.closed_unanswered_missed is True


def test_org_create_and_list(db):
    assert "Created organisation Acme" in run("org", "create", "Acme", "--email-domain", "ACME.test")
    assert Organisation.objects.get(name="Acme").email_domain == "acme.test"
    with pytest.raises(CommandError, match="already exists"):
        run("org", "create", "Acme")
    assert "no valid contract (no SLA)" in run("org", "list")


def test_contract_create_list_end(db):
    run("org", "create", "Acme")
    out = run(
        "contract",
        "create",
        "--organisation",
        "Acme",
        "--plan",
        "premium",
        "--timezone",
        "America/New_York",
        "--country",
        "US",
        "--subdivision",
        "NY",
        "--region",
        "north-america",
        "--from",
        "2026-01-01",
        "--reference",
        "Q-1",
        "--target",
        "P1=20",
    )
    assert "Created contract Q-1" in out
    contract = Contract.objects.get(reference="Q-1")
    assert contract.target_overrides == {"P1": 20} and contract.holiday_subdivision == "NY"
    assert "Q-1" in run("contract", "list", "--organisation", "Acme")
    assert "premium (Q-1)" in run("org", "list")
    run("contract", "end", "--reference", "Q-1", "--on", "2026-06-30")
    contract.refresh_from_db()
    assert contract.valid_until == dt.date(2026, 6, 30)
    with pytest.raises(CommandError, match="before it starts"):
        run("contract", "end", "--reference", "Q-1", "--on", "2025-01-01")


@pytest.mark.parametrize(
    "bad, message",
    [
        (["--timezone", "Mars/Olympus", "--country", "FR"], "time zone"),
        (["--timezone", "Europe/Paris", "--country", "ZZ"], ""),
        (["--timezone", "Europe/Paris", "--country", "FR", "--target", "P9=5"], "P1..P4"),
        (["--timezone", "Europe/Paris", "--country", "FR", "--until", "2025-01-01"], "end before"),
    ],
)
def test_contract_create_rejects_bad_input(db, bad, message):
    run("org", "create", "Acme")
    with pytest.raises(CommandError, match=message):
        run("contract", "create", "--organisation", "Acme", "--plan", "basic", "--from", "2026-01-01", *bad)
    assert not Contract.objects.exists()


def test_preview_shows_local_due_times(db):
    make_org("Acme", Plan.BASIC)
    out = run("preview", "--organisation", "Acme", "--at", "2026-03-06T16:00:00+01:00")
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith("P")}
    assert "Mon 2026-03-09 10:00 CET" in lines["P1"]  # 2 h on 8x5 from Friday 16:00
    assert "Wed 2026-03-11 16:00 CET" in lines["P3"]  # 24 h on 8x5: 1 + 8 + 8 + 7
    with pytest.raises(CommandError, match="offset"):
        run("preview", "--organisation", "Acme", "--at", "2026-03-06T16:00:00")
    make_org("Lapsed", Plan.BASIC, valid_until=dt.date(2021, 1, 1))
    with pytest.raises(CommandError, match="no valid contract"):
        run("preview", "--organisation", "Lapsed")
