"""The v1 API object, mounted at /api/v1/ by guichet/urls.py."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

from guichet.api import errors
from guichet.api.auth import bearer
from guichet.api.docs import OfflineSwagger, serve_asset
from guichet.api.routers import me, oncall, organisations, tickets

NAMESPACE = "api-v1"

DESCRIPTION = """
The guichet support desk API. Authenticate every request with a personal API token:
`Authorization: Bearer <token>`. A token acts with exactly its person's permissions: customers
see and act only within their organisation (anything else answers 404), staff see everything,
administrators manage organisations and contracts.

Instants are ISO 8601 with a UTC offset, stored in UTC. Every error has the `Error` body.
Messages follow `Accept-Language` (en, fr), else the token's person's language.
"""

api = NinjaAPI(
    title="guichet",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace=NAMESPACE,
    auth=bearer,
    docs=OfflineSwagger(NAMESPACE),
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

api.add_router("/", me.router)
api.add_router("/", tickets.router)
api.add_router("/", organisations.router)
api.add_router("/", oncall.router)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str):
    return serve_asset(name)
