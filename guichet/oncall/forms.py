"""Forms of the on-call screens (model validation does the checking: `clean()` on each model)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Person
from guichet.contracts.models import Plan, Priority
from guichet.oncall.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    OncallProfile,
    Override,
    PagingRule,
    Rotation,
    Schedule,
    Trigger,
)

DAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def staff() -> Any:
    return Person.objects.filter(role__in=["agent", "lead", "admin"], is_active=True).order_by("username")


class TimeInput(forms.TimeInput):
    input_type = "time"


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = ["name", "time_zone", "description"]


class RotationForm(forms.ModelForm):
    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        label=_("Members"),
        help_text=_("In order: the first takes the first shift."),
    )
    days = forms.TypedMultipleChoiceField(
        choices=DAYS, coerce=int, required=False, label=_("On call on"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Rotation
        fields = [
            "name",
            "tier",
            "time_zone",
            "hand_off",
            "length_days",
            "start_date",
            "restrict_from",
            "restrict_to",
            "position",
        ]
        widgets = {
            "hand_off": TimeInput(),
            "restrict_from": TimeInput(),
            "restrict_to": TimeInput(),
            "start_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = staff()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["people"] = self.instance.members
            self.initial["days"] = self.instance.restrict_days or list(range(7))
        else:
            self.initial.setdefault("days", list(range(7)))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Keep the order people were listed in (a multiple select keeps the page's order).
        order = [int(x) for x in self.data.getlist("people")] if hasattr(self.data, "getlist") else []
        self.instance.members = order or [p.pk for p in data.get("people", [])]
        days = data.get("days") or list(range(7))
        self.instance.restrict_days = sorted(days) if sorted(days) != list(range(7)) else []
        return data


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ["tier", "person", "start", "end", "reason"]
        widgets = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "end": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = staff()  # type: ignore[attr-defined]
        self.fields["start"].help_text = _("In your own time zone.")


class PolicyForm(forms.ModelForm):
    class Meta:
        model = EscalationPolicy
        fields = ["name", "schedule", "repeat"]


class LevelForm(forms.ModelForm):
    minutes = forms.IntegerField(
        label=_("Minutes before the next level"),
        min_value=1,
        max_value=1440,
        initial=5,
        help_text=_("Without an acknowledgement."),
    )

    class Meta:
        model = EscalationLevel
        fields = ["position", "target", "person"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("minutes"):
            self.instance.timeout_seconds = int(data["minutes"]) * 60
        return data

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = staff()  # type: ignore[attr-defined]


class RuleForm(forms.ModelForm):
    triggers = forms.MultipleChoiceField(
        choices=Trigger.choices, required=False, label=_("Triggers"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PagingRule
        fields = ["mode", "triggers", "policy"]


class PreviewForm(forms.Form):
    plan = forms.ChoiceField(choices=Plan.choices, label=_("Plan"), initial=Plan.PREMIUM)
    priority = forms.ChoiceField(choices=Priority.choices, label=_("Priority"), initial=Priority.P1)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=TimeInput(), initial=dt.time(3))
    zone = forms.CharField(label=_("Time zone"), initial="Europe/Paris", max_length=64)

    def clean_zone(self) -> str:
        from guichet.accounts.models import validate_time_zone

        value = str(self.cleaned_data["zone"]).strip()
        validate_time_zone(value)
        return value


class ContactMethodForm(forms.ModelForm):
    class Meta:
        model = ContactMethod
        fields = ["kind", "target", "delay_minutes", "position", "active"]
        help_texts = {
            "target": _(
                "E-mail address, Apprise URL (e.g. ntfys://ntfy.sh/my-topic) or webhook URL; "
                "empty for browser notifications."
            )
        }


class ProfileForm(forms.ModelForm):
    days = forms.TypedMultipleChoiceField(
        choices=DAYS, coerce=int, required=False, label=_("Working days"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = OncallProfile
        fields = ["quiet_from", "quiet_to", "work_from", "work_to"]
        widgets = {
            "quiet_from": TimeInput(),
            "quiet_to": TimeInput(),
            "work_from": TimeInput(),
            "work_to": TimeInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["days"] = self.instance.work_days or [0, 1, 2, 3, 4]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.instance.work_days = sorted(data.get("days") or [0, 1, 2, 3, 4])
        return data
