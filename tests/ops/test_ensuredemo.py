"""`guichet ensuredemo` (bin/run): demo data into an empty database, never into one in use."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from guichet.ops.demo import demo_logins
from guichet.tickets.models import Ticket


@pytest.mark.django_db
def test_loads_the_demo_into_an_empty_database_then_leaves_it_alone(fast_passwords):
    out = io.StringIO()
    call_command("ensuredemo", stdout=out)
    assert "loading the demo data" in out.getvalue()
    tickets = Ticket.objects.count()
    assert tickets > 0

    out = io.StringIO()
    call_command("ensuredemo", stdout=out)
    assert "already has tickets" in out.getvalue()
    assert Ticket.objects.count() == tickets


@pytest.mark.django_db
def test_printed_logins_are_the_accounts_loaded(fast_passwords, client):
    call_command("ensuredemo", stdout=io.StringIO())
    logins = demo_logins()
    assert {"agent", "customer", "admin"} <= {login.role for login in logins}
    for login in logins:
        assert client.login(username=login.username, password=login.password), login.username
        client.logout()
