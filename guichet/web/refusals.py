"""A refused action is shown on the page it came from, at that page's own address.

The ticket pages post each action to its own URL (`…/reply/`, `…/downgrade/`). Rendering the
refusal there left the browser on the action's address: a reload posted again and the address bar
showed a URL nobody can open. Instead (Post/Redirect/Get) the form as typed and the reasons travel
in the session, the browser is sent back to the ticket page, and that page binds the form again.
Files cannot travel: the person is asked to choose them again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

SESSION_KEY = "guichet.refused"


def keep(request: HttpRequest, *, page: str, form_key: str, errors: list[str], tab: str = "") -> None:
    """Remember a refused form of `page` (a URL) for the next GET of that page."""
    if request.FILES:
        errors = [*errors, _("Choose the attached files again.")]
    request.session[SESSION_KEY] = {
        "page": page,
        "form": form_key,
        "tab": tab,
        "data": {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"},
        "errors": errors,
    }


def restore(
    request: HttpRequest, *, page: str, forms_by_key: Mapping[str, Callable[[QueryDict], forms.BaseForm]]
) -> dict[str, Any]:
    """The refused form kept for `page`, bound again with its errors ({form_key: form, "active_tab":
    tab}), or {} when there is none (once shown, it is forgotten)."""
    kept = request.session.pop(SESSION_KEY, None)
    if not kept or kept.get("page") != page or kept.get("form") not in forms_by_key:
        return {}
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    form = forms_by_key[kept["form"]](data)
    form.is_valid()
    for message in kept["errors"]:
        form.add_error(None, message)
    restored: dict[str, Any] = {kept["form"]: form}
    if kept.get("tab"):
        restored["active_tab"] = kept["tab"]
    return restored
