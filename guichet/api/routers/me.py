"""Who am I, and when would my first response be due if I submitted now?"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from pydantic import AwareDatetime

from guichet.accounts.models import Person
from guichet.api import present
from guichet.api.auth import request_person
from guichet.api.errors import ApiError, not_found, responses
from guichet.api.preview import preview_for
from guichet.api.schemas import MAX_ID, Me, PreviewOut
from guichet.tickets import selectors

router = Router(tags=["me"])


def person(request: HttpRequest) -> Person:
    return request_person(request)


@router.get("/me", response=responses({200: Me}), summary="The token's person")
def me(request: HttpRequest):
    return present.me(person(request))


@router.get("/preview", response=responses({200: PreviewOut}, 404), summary="First-response due times")
def preview(
    request: HttpRequest,
    at: AwareDatetime | None = Query(None, description="Submission instant (default: now)."),  # noqa: B008
    organisation: int | None = Query(
        None, ge=1, le=MAX_ID, description="Staff: whose contract (customers: their own)."
    ),
):
    """For each priority, the first-response target and due instant under the contract in force
    at `at`, as if a ticket were submitted then. Empty when no contract is in force."""

    viewer = person(request)
    when = (at or timezone.now()).astimezone(dt.UTC)
    if viewer.is_customer:
        org_id = viewer.organisation_id if organisation is None else organisation
    elif organisation is None:
        raise ApiError(
            422,
            _("Staff must say which organisation (organisation=<id>)."),
            [
                {
                    "loc": ["query", "organisation"],
                    "message": str(_("This field is required.")),
                    "type": "missing",
                }
            ],
        )
    else:
        org_id = organisation
    if org_id is None:  # a customer without an organisation sees none
        raise not_found()
    org = selectors.visible_organisations(viewer).filter(pk=org_id).first()
    if org is None:
        raise not_found()
    return preview_for(org, when)
