"""Provisioning CLI of the accounts app: `guichet user`, `guichet token`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guichet.accounts.models import ApiToken, Person, Role
from guichet.contracts.models import Plan
from tests.factories import make_org, make_person


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_user_create_and_list(db):
    make_org("Acme", Plan.BASIC)
    out = run(
        "user",
        "create",
        "alice",
        "--role",
        "customer",
        "--organisation",
        "Acme",
        "--language",
        "fr",
        "--timezone",
        "Europe/Paris",
    )
    password = out.split("Password (shown once): ")[1].strip()
    alice = Person.objects.get(username="alice")
    assert alice.check_password(password) and alice.language == "fr" and alice.organisation.name == "Acme"
    run("user", "create", "bob", "--role", "admin", "--password", "a-long-admin-pass-2026")
    assert Person.objects.get(username="bob").is_superuser
    with pytest.raises(CommandError, match="needs --organisation"):
        run("user", "create", "carol", "--role", "customer", "--password", "another-long-pass-1")
    with pytest.raises(CommandError, match="no organisation"):
        run(
            "user",
            "create",
            "dave",
            "--role",
            "agent",
            "--organisation",
            "Acme",
            "--password",
            "x-long-pass-99",
        )
    with pytest.raises(CommandError, match="time zone"):
        run(
            "user",
            "create",
            "erin",
            "--role",
            "agent",
            "--timezone",
            "Nowhere/City",
            "--password",
            "y-long-pass-9",
        )
    listing = run("user", "list", "--organisation", "Acme")
    assert "alice" in listing and "bob" not in listing


def test_token_create_prints_once_and_revoke(db):
    make_person("agent", Role.AGENT)
    out = run("token", "create", "--user", "agent", "--name", "ci")
    clear = out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert clear.startswith("gch_") and ApiToken.hash(clear) == token.digest and clear not in token.digest
    assert clear not in run("token", "list")
    run("token", "revoke", token.prefix)
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_active()
    with pytest.raises(CommandError):
        run("token", "revoke", token.prefix)
