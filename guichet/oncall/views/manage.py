"""/manage/oncall/: schedules (rotations, overrides), escalation policies (levels) and the paging
rules per plan × priority with their preview sentence. Vendor administrators only."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.forms import ModelForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.contracts.models import Plan, Priority
from guichet.oncall import forms
from guichet.oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    Override,
    PagingRule,
    Rotation,
    Schedule,
)
from guichet.oncall.rules import all_rules, preview_sentence
from guichet.oncall.views.access import SignedInRequest, admin_required
from guichet.sla.zones import get_zone


def _save(request: SignedInRequest, form: ModelForm, success: str) -> bool:
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        form.add_error(None, _("This conflicts with an existing record."))
        return False
    messages.success(request, success)
    return True


@admin_required
def home(request: SignedInRequest) -> HttpResponse:
    context = {
        "schedules": Schedule.objects.prefetch_related("rotations"),
        "policies": EscalationPolicy.objects.prefetch_related("levels"),
        "rules": all_rules(),
        "nav": "manage",
    }
    return render(request, "oncall/manage/home.html", context)


@admin_required
def schedule_edit(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk) if pk else None
    form = forms.ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and _save(request, form, _("Schedule saved.")):
        return redirect("oncall_manage_schedule", pk=form.instance.pk)
    context = {
        "form": form,
        "schedule": schedule,
        "rotations": schedule.rotations.all() if schedule else [],
        "overrides": schedule.overrides.filter(end__gt=timezone.now()).select_related("person")
        if schedule
        else [],
        "rotation_form": forms.RotationForm(
            initial={
                "time_zone": schedule.time_zone if schedule else "Europe/Paris",
                "start_date": timezone.localdate(),
            }
        ),
        "override_form": forms.OverrideForm(),
        "nav": "manage",
    }
    return render(request, "oncall/manage/schedule.html", context)


@admin_required
def rotation_edit(request: SignedInRequest, schedule_pk: int, pk: int | None = None) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=schedule_pk)
    rotation = get_object_or_404(Rotation, pk=pk, schedule=schedule) if pk else Rotation(schedule=schedule)
    form = forms.RotationForm(request.POST or None, instance=rotation)
    if request.method == "POST" and _save(request, form, _("Rotation saved.")):
        return redirect("oncall_manage_schedule", pk=schedule.pk)
    return render(
        request,
        "oncall/manage/rotation.html",
        {"form": form, "schedule": schedule, "rotation": rotation, "nav": "manage"},
    )


@admin_required
@require_POST
def rotation_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    rotation = get_object_or_404(Rotation, pk=pk)
    rotation.delete()
    messages.success(request, _("Rotation removed."))
    return redirect("oncall_manage_schedule", pk=rotation.schedule_id)


@admin_required
@require_POST
def override_add(request: SignedInRequest, schedule_pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=schedule_pk)
    form = forms.OverrideForm(request.POST, instance=Override(schedule=schedule, created_by=request.user))
    if _save(request, form, _("Override added.")):
        return redirect("oncall_manage_schedule", pk=schedule.pk)
    for error in form.errors.values():
        messages.error(request, " ".join(str(e) for e in error))
    return redirect("oncall_manage_schedule", pk=schedule.pk)


@admin_required
@require_POST
def override_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(Override, pk=pk)
    override.delete()
    messages.success(request, _("Override removed."))
    return redirect("oncall_manage_schedule", pk=override.schedule_id)


@admin_required
def policy_edit(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(EscalationPolicy, pk=pk) if pk else None
    form = forms.PolicyForm(request.POST or None, instance=policy, prefix="policy")
    level_form = forms.LevelForm(prefix="level")
    if request.method == "POST" and "level-target" in request.POST and policy is not None:
        level_form = forms.LevelForm(request.POST, prefix="level", instance=EscalationLevel(policy=policy))
        if _save(request, level_form, _("Level added.")):
            return redirect("oncall_manage_policy", pk=policy.pk)
    elif request.method == "POST" and _save(request, form, _("Escalation policy saved.")):
        return redirect("oncall_manage_policy", pk=form.instance.pk)
    context = {
        "form": form,
        "policy": policy,
        "levels": policy.levels.select_related("person") if policy else [],
        "level_form": level_form,
        "nav": "manage",
    }
    return render(request, "oncall/manage/policy.html", context)


@admin_required
@require_POST
def level_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    level = get_object_or_404(EscalationLevel, pk=pk)
    level.delete()
    messages.success(request, _("Level removed."))
    return redirect("oncall_manage_policy", pk=level.policy_id)


@admin_required
def rule_edit(request: SignedInRequest, plan: str, priority: str) -> HttpResponse:
    if plan not in Plan.values or priority not in Priority.values:
        return redirect("oncall_manage")
    rule = PagingRule.objects.filter(plan=plan, priority=priority).first() or PagingRule.default(
        plan, priority
    )
    form = forms.RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and _save(request, form, _("Paging rule saved.")):
        return redirect("oncall_manage")
    return render(
        request,
        "oncall/manage/rule.html",
        {"form": form, "rule": rule, "nav": "manage", "plan_label": Plan(plan).label},
    )


@admin_required
def preview(request: SignedInRequest) -> HttpResponse:
    """The sentence of what a ticket would page (also as an HTMX fragment)."""
    data = request.GET if request.GET.get("plan") else None
    if data is None:
        now = timezone.now().astimezone(request.user.zone)
        saturday = now.date() + dt.timedelta(days=(5 - now.weekday()) % 7)
        form = forms.PreviewForm(initial={"day": saturday, "zone": "Europe/Paris"})
    else:
        form = forms.PreviewForm(data)
    sentence = ""
    if form.is_bound and form.is_valid():
        c = form.cleaned_data
        at = dt.datetime.combine(c["day"], c["time"]).replace(tzinfo=get_zone(c["zone"]))
        sentence = preview_sentence(c["plan"], c["priority"], at, zone=c["zone"])
    template = (
        "oncall/manage/_preview.html" if getattr(request, "htmx", False) else "oncall/manage/preview.html"
    )
    return render(request, template, {"form": form, "sentence": sentence, "nav": "manage"})


@admin_required
def report(request: SignedInRequest) -> HttpResponse:
    """Time to acknowledge and pages outside working hours, for the months asked (default: this one)."""
    from guichet.oncall.report import build

    zone = request.user.zone
    today = timezone.now().astimezone(zone).date()
    try:
        first = dt.date.fromisoformat(request.GET.get("from") or today.replace(day=1).isoformat())
        last = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        messages.error(request, _("Dates are written YYYY-MM-DD."))
        first, last = today.replace(day=1), today
    start = dt.datetime.combine(first, dt.time(0), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
    context = {"report": build(start, end, zone.key), "first": first, "last": last, "nav": "manage"}
    return render(request, "oncall/manage/report.html", context)
