"""The request type of views that require a signed-in person (for the type checker)."""

from __future__ import annotations

from django.http import HttpRequest

from guichet.accounts.models import Person


class SignedInRequest(HttpRequest):
    """A request that reached a view behind `login_required` (or a role decorator): its user is a
    signed-in `Person`, never `AnonymousUser`. Only the type says more than HttpRequest."""

    user: Person
