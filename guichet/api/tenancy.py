"""Who may see which organisation, contract and person.

STOP-GAP: `guichet.tickets.selectors` holds the tenancy rule for tickets, messages and SLA history
but has no selector for organisations, contracts or people yet. These three follow the same rule
(staff see all; a customer sees only their own organisation; anyone else nothing) and should move
to the selectors module; the API then only changes its import.
"""

from __future__ import annotations

from django.db.models import QuerySet

from guichet.accounts.models import Person
from guichet.contracts.models import Contract, Organisation
from guichet.tickets import selectors


def _staff(person: Person | None) -> bool:
    return bool(person is not None and person.is_active and person.is_agent)


def _customer_org(person: Person | None) -> int | None:
    if person is not None and person.is_active and person.is_customer:
        return person.organisation_id
    return None


def visible_organisations(person: Person | None) -> QuerySet[Organisation]:
    if hasattr(selectors, "visible_organisations"):
        return selectors.visible_organisations(person)
    if _staff(person):
        return Organisation.objects.all()
    org_id = _customer_org(person)
    return Organisation.objects.filter(pk=org_id) if org_id else Organisation.objects.none()


def visible_contracts(person: Person | None) -> QuerySet[Contract]:
    if hasattr(selectors, "visible_contracts"):
        return selectors.visible_contracts(person)
    if _staff(person):
        return Contract.objects.all()
    org_id = _customer_org(person)
    return Contract.objects.filter(organisation_id=org_id) if org_id else Contract.objects.none()


def visible_people(person: Person | None) -> QuerySet[Person]:
    """People a person may name (a requester, an assignee): staff all, customers their colleagues."""
    if hasattr(selectors, "visible_people"):
        return selectors.visible_people(person)
    if _staff(person):
        return Person.objects.filter(is_active=True)
    org_id = _customer_org(person)
    return Person.objects.filter(organisation_id=org_id, is_active=True) if org_id else Person.objects.none()
