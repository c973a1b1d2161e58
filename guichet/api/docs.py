"""Interactive API docs that work offline and under the site's strict CSP.

ninja's default Swagger page loads its JavaScript from a CDN when `ninja` is not an installed app,
which both the closed network and `script-src 'self'` block. This page uses the Swagger UI bundle
that ships inside the ninja package, served by the API itself from the same origin (allowed by
`'self'`), with no inline script: the settings travel as a JSON data block read by ninja's own
init script.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from ninja.openapi.docs import DocsBase

ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
# Only these files are served: the name comes from the URL.
ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css", "favicon.png"})

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" href="{icon}">
</head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<noscript><p>This page needs JavaScript. The schema is at <a href="{schema}">{schema}</a>.</p></noscript>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


class OfflineSwagger(DocsBase):
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        schema_url = self.get_openapi_url(api, kwargs)
        settings = {
            "url": schema_url,
            "layout": "BaseLayout",
            "deepLinking": True,
            "persistAuthorization": False,
        }

        def asset(name: str) -> str:
            return reverse(f"{self.namespace}:docs_asset", kwargs={"name": name})

        html = PAGE.format(
            title=escape(api.title),
            css=asset("swagger-ui.css"),
            icon=asset("favicon.png"),
            # Inside <script>, "</" must not appear: json.dumps does not escape it.
            settings=json.dumps(settings).replace("</", "<\\/"),
            schema=escape(schema_url),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")


def serve_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
