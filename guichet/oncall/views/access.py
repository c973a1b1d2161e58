"""Who may see the on-call screens (the same answers as guichet.web's: 404 outside one's role)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from guichet.accounts.models import Person


class SignedInRequest(HttpRequest):
    user: Person


def _role(
    test: Callable[[Person], bool],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not test(request.user):  # type: ignore[arg-type]
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


agent_required = _role(lambda user: user.is_agent)
admin_required = _role(lambda user: user.is_vendor_admin)
