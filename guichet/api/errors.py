"""One error body for every failure, and the handlers that produce it.

Every operation declares the statuses it can answer with (`responses(...)`), all with the same
`Error` schema, so the OpenAPI document matches what the server really sends (schemathesis checks
this). Messages are translated: `LocaleMiddleware` honours `Accept-Language`, and without that
header the token's person's language applies (see `auth.py`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from guichet.sla.errors import SlaError


class ErrorDetail(Schema):
    """One problem with one input: where (`loc`, e.g. ["body", "priority"]) and what."""

    loc: list[str | int] = []
    message: str
    type: str = ""


class Error(Schema):
    """The body of every 4xx answer."""

    status: int
    code: str
    message: str
    details: list[ErrorDetail] = []


# status -> (code, default message)
ERRORS: dict[int, tuple[str, Any]] = {
    400: ("bad_request", _("The request body is not valid JSON.")),
    401: ("unauthenticated", _("A valid API token is required (Authorization: Bearer <token>).")),
    403: ("forbidden", _("You are not allowed to do this.")),
    404: ("not_found", _("Not found.")),
    409: ("conflict", _("This cannot be done in the ticket's current state.")),
    422: ("invalid", _("The request is not valid.")),
}


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """The response map of an operation: its success schema(s) plus the declared error statuses.

    Every authenticated operation can answer 401 and 422 (ninja validates query, path and body);
    callers add 400 (a body is parsed), 403, 404 (an id in the path) and 409 as they apply.
    """
    codes = {401, 422, *errors}
    return {**ok, **dict.fromkeys(sorted(codes), Error)}


def error_body(status: int, message: Any = None, details: list[dict] | None = None) -> dict:
    code, default = ERRORS.get(status, ("error", _("The request failed.")))
    return {"status": status, "code": code, "message": str(message or default), "details": details or []}


class ApiError(Exception):
    """Raised by the API layer for a 403/404/409/422 with a translated message."""

    def __init__(self, status: int, message: Any = None, details: list[dict] | None = None) -> None:
        self.status = status
        self.message = message
        self.details = details
        super().__init__(status, message)


def not_found(field: str | None = None) -> ApiError:
    """404; with `field`, the unknown id came in the body (e.g. organisation_id)."""
    if field is None:
        return ApiError(404)
    return ApiError(
        404, details=[{"loc": ["body", field], "message": str(ERRORS[404][1]), "type": "not_found"}]
    )


def _validation_details(errors: list[dict]) -> list[dict]:
    details = []
    for err in errors:
        loc = [part for part in err.get("loc", ()) if isinstance(part, str | int)]
        if loc[:2] == ["body", "payload"]:
            del loc[1]  # ninja adds the view's argument name; clients only know the body's fields
        details.append({"loc": loc, "message": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return details


def _django_validation_details(exc: DjangoValidationError) -> tuple[str, list[dict]]:
    details: list[dict] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            loc = ["body"] if field == "__all__" else ["body", field]
            details.extend({"loc": loc, "message": str(m), "type": "invalid"} for m in errors)
    else:
        details.extend({"loc": ["body"], "message": str(m), "type": "invalid"} for m in exc.messages)
    message = details[0]["message"] if len(details) == 1 else None
    return message or str(ERRORS[422][1]), details


# ServiceError codes (guichet.tickets.services) by HTTP status; any other code is a bad value (422).
FORBIDDEN_CODES = frozenset({"forbidden", "phone_not_in_plan"})
NOT_FOUND_CODES = frozenset({"not_found"})
CONFLICT_CODES = frozenset(
    {"unchanged", "closed", "not_raise", "not_downgradable", "no_attempts", "order", "outside_hours"}
)


def service_error_status(exc: DjangoValidationError) -> int:
    """A service's refusal: 403 when the person may not do it, 404 for a ticket they cannot see,
    409 when the ticket's current state forbids it, 422 for a bad value."""
    code = getattr(exc, "code", None)
    if code in FORBIDDEN_CODES:
        return 403
    if code in NOT_FOUND_CODES:
        return 404
    if code in CONFLICT_CODES:
        return 409
    return 422


def _is_uniqueness(exc: DjangoValidationError) -> bool:
    errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    return any(e.code in {"unique", "unique_together"} for group in errors for e in group)


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, message: Any = None, details=None) -> HttpResponse:
        response = api.create_response(request, error_body(status, message, details), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="guichet"'
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(request, 401)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja raises HttpError(400, "Cannot parse request body") for malformed JSON.
        return respond(
            request, exc.status_code, _t(ERRORS[400][1]) if exc.status_code == 400 else exc.message
        )

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc: NinjaValidationError):
        return respond(request, 422, None, _validation_details(exc.errors))

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.message, exc.details)

    @api.exception_handler(Http404)
    def http404(request, exc):
        return respond(request, 404)

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request, exc):
        return respond(request, 404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, 403, str(exc) or None)

    @api.exception_handler(DjangoValidationError)
    def django_invalid(request, exc: DjangoValidationError):
        # Service refusals (ServiceError subclasses ValidationError) and model validation.
        message, details = _django_validation_details(exc)
        status = service_error_status(exc)
        if status == 422 and _is_uniqueness(exc):
            status = 409  # e.g. an organisation name already taken
        return respond(request, status, message, details)

    @api.exception_handler(SlaError)
    def sla_invalid(request, exc: SlaError):
        return respond(request, 422, str(exc))
