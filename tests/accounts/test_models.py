"""People (guichet/accounts/models.py): roles."""

from __future__ import annotations

from guichet.accounts.models import Role
from tests.factories import make_person


def test_staff_roles(db):
    for role in (Role.AGENT, Role.LEAD, Role.ADMIN):
        assert make_person(f"p-{role}", role).is_agent
