"""A person's own on-call settings: contact methods (with a "send a test" button), quiet and working
hours, and the private calendar feed of their shifts (iCalendar)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.accounts.models import Person
from guichet.oncall.delivery import base_url, send_test
from guichet.oncall.forms import ContactMethodForm, ProfileForm
from guichet.oncall.models import ContactMethod, OncallProfile, Schedule, Tier
from guichet.oncall.views.access import SignedInRequest, agent_required

FEED_SALT = "guichet.oncall.feed"


def profile_of(person: Person) -> OncallProfile:
    profile, _created = OncallProfile.objects.get_or_create(person=person)
    return profile


def feed_url(person: Person) -> str:
    profile = profile_of(person)
    token = signing.dumps([person.pk, profile.feed_version], salt=FEED_SALT, compress=False)
    return base_url() + reverse("oncall_feed", args=[token])


@agent_required
def me(request: SignedInRequest) -> HttpResponse:
    profile = profile_of(request.user)
    method_form = ContactMethodForm(prefix="method")
    profile_form = ProfileForm(instance=profile, prefix="profile")
    if request.method == "POST" and "method-kind" in request.POST:
        method_form = ContactMethodForm(
            request.POST, prefix="method", instance=ContactMethod(person=request.user)
        )
        if method_form.is_valid():
            method_form.save()
            messages.success(request, _("Contact method added."))
            return redirect("oncall_me")
    elif request.method == "POST":
        profile_form = ProfileForm(request.POST, instance=profile, prefix="profile")
        if profile_form.is_valid():
            profile_form.save()
            messages.success(request, _("Hours saved."))
            return redirect("oncall_me")
    context = {
        "methods": request.user.contact_methods.order_by("position", "delay_minutes", "id"),
        "method_form": method_form,
        "profile_form": profile_form,
        "feed_url": feed_url(request.user),
        "nav": "oncall",
    }
    return render(request, "oncall/me.html", context)


@agent_required
@require_POST
def method_test(request: SignedInRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk, person=request.user)
    send_test(method)
    messages.success(request, _("Test sent: its result appears here within a few seconds."))
    return redirect("oncall_me")


@agent_required
@require_POST
def method_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    get_object_or_404(ContactMethod, pk=pk, person=request.user).delete()
    messages.success(request, _("Contact method removed."))
    return redirect("oncall_me")


@agent_required
@require_POST
def feed_reset(request: SignedInRequest) -> HttpResponse:
    profile = profile_of(request.user)
    profile.feed_version += 1
    profile.save(update_fields=["feed_version"])
    messages.success(request, _("Your calendar feed has a new address; the old one no longer works."))
    return redirect("oncall_me")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's shifts from a week ago to two months ahead, as iCalendar (no sign-in: the
    signed address is the secret, and resetting it revokes the old one)."""
    try:
        person_id, version = signing.loads(token, salt=FEED_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise Http404 from exc
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    if person is None or profile_of(person).feed_version != version:
        raise Http404
    body = shifts_ics(person, timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="on-call.ics"'
    return response


def shifts_ics(person: Person, now: dt.datetime, days: int = 60) -> bytes:
    import icalendar

    start, end = now - dt.timedelta(days=7), now + dt.timedelta(days=days)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//guichet//on call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("On call: %(name)s") % {"name": person})
    labels = dict(Tier.choices)
    for schedule in Schedule.objects.prefetch_related("rotations"):
        for shift in schedule.rota(start, end).shifts(start, end):
            if shift.person != person.pk:
                continue
            event = icalendar.Event()
            event.add("uid", f"oncall-{schedule.pk}-{shift.tier}-{int(shift.start.timestamp())}@guichet")
            event.add(
                "summary",
                _("On call (%(tier)s) – %(schedule)s")
                % {"tier": labels.get(shift.tier, shift.tier), "schedule": schedule.name},
            )
            event.add("dtstart", shift.start)
            event.add("dtend", shift.end)
            event.add("dtstamp", now)
            cal.add_component(event)
    return bytes(cal.to_ical())
