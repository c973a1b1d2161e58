"""Session views shared by the agent desk and the customer portal, and the access decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.middleware import HtmxDetails

from guichet.accounts import http as accounts_http


class HtmxRequest(HttpRequest):
    """Every request of the site: django-htmx's middleware (settings) adds `htmx`."""

    htmx: HtmxDetails


class SignedInRequest(HtmxRequest, accounts_http.SignedInRequest):
    """A signed-in person's request (guichet.accounts.http) that may come from HTMX."""


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires), then back to the sign-in page."""


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """Agents go to their queue, vendor administrators too (the admin screens are one click away)."""
    user = request.user
    if user.is_agent or user.is_superuser:
        return redirect("desk_queue")
    return redirect("portal_tickets")


def _role_required(test: Callable) -> Callable:
    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            # 404 rather than 403: a page outside one's role does not exist for them (no leak of URLs).
            if not test(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


agent_required = _role_required(lambda user: user.is_agent)
customer_required = _role_required(lambda user: user.is_customer)
vendor_admin_required = _role_required(lambda user: user.is_vendor_admin)
