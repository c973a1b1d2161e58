"""Organisations and contracts: customers see their own, staff see all, administrators manage them."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status

from guichet.accounts.models import Organisation, Person
from guichet.api import present
from guichet.api.auth import request_person
from guichet.api.errors import ApiError, not_found, responses
from guichet.api.schemas import ContractIn, ContractOut, DbId, OrganisationIn, OrganisationOut
from guichet.contracts.models import Contract
from guichet.tickets import selectors

router = Router(tags=["organisations and contracts"])


def person(request: HttpRequest) -> Person:
    return request_person(request)


def get_organisation(request: HttpRequest, organisation_id: DbId) -> Organisation:
    org = selectors.visible_organisations(person(request)).filter(pk=organisation_id).first()
    if org is None:
        raise not_found()
    return org


def require_admin(request: HttpRequest) -> None:
    if not person(request).is_vendor_admin:
        raise ApiError(403, _("Only administrators manage organisations and contracts."))


@router.get("/organisations", response=responses({200: list[OrganisationOut]}), summary="Organisations")
def list_organisations(
    request: HttpRequest,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Customers: their own organisation. Staff: all, by name."""
    qs = selectors.visible_organisations(person(request)).order_by("name", "id")
    return [present.organisation(o) for o in qs[offset : offset + limit]]


@router.post(
    "/organisations", response=responses({201: OrganisationOut}, 400, 403, 409), summary="Create (admins)"
)
def create_organisation(request: HttpRequest, payload: OrganisationIn):
    require_admin(request)
    org = Organisation(name=payload.name.strip(), email_domain=payload.email_domain.strip().lower())
    # Model validation (unique name, lengths) turns into 422 with field details.
    org.full_clean()
    org.save()
    return Status(201, present.organisation(org))


@router.get("/organisations/{organisation_id}", response=responses({200: OrganisationOut}, 404))
def get_one_organisation(request: HttpRequest, organisation_id: DbId):
    return present.organisation(get_organisation(request, organisation_id))


@router.get(
    "/organisations/{organisation_id}/contracts",
    response=responses({200: list[ContractOut]}, 404),
    summary="An organisation's contracts, newest first",
)
def list_contracts(request: HttpRequest, organisation_id: DbId):
    org = get_organisation(request, organisation_id)
    qs = selectors.visible_contracts(person(request)).filter(organisation=org).order_by("-valid_from", "-id")
    return [present.contract(c) for c in qs]


@router.post(
    "/organisations/{organisation_id}/contracts",
    response=responses({201: ContractOut}, 400, 403, 404),
    summary="Add a contract (admins)",
)
def create_contract(request: HttpRequest, organisation_id: DbId, payload: ContractIn):
    org = get_organisation(request, organisation_id)
    require_admin(request)
    data = payload.dict()
    data["target_overrides"] = {str(k): v for k, v in data["target_overrides"].items()}
    contract = Contract(organisation=org, **data)
    with transaction.atomic():
        # Contract.clean checks the zone, holiday country/subdivision and overrides with the SLA core.
        contract.full_clean()
        contract.save()
    return Status(201, present.contract(contract))


@router.get("/contracts/{contract_id}", response=responses({200: ContractOut}, 404), summary="One contract")
def get_contract(request: HttpRequest, contract_id: DbId):
    contract = selectors.visible_contracts(person(request)).filter(pk=contract_id).first()
    if contract is None:
        raise not_found()
    return present.contract(contract)
