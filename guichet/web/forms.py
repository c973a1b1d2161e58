"""Forms of the desk, the portal and the administration screens.

They check shapes (required fields, lengths, choices); the business rules (who may downgrade,
which plan may log a call, ...) are the services' and come back as ServiceError messages.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import Language, Organisation, Person, Role, validate_time_zone
from guichet.contracts.models import Contract, HolidayOverride, Plan, Priority
from guichet.tickets.models import Channel, Status


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """One of a form's own choice fields (its copy of the declared field), to set its choices."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


class FormRenderer(DjangoTemplates):
    """settings.FORM_RENDERER: `as_field_group` renders web/forms/field.html, one wrapper per field
    (label, help, errors, control), so fields laid out side by side stay apart."""

    field_template_name = "web/forms/field.html"


class IsoDateInput(forms.DateInput):
    """`<input type=date>` accepts an ISO value only (2026-11-01): written so in every language.
    A localised value ("01/11/2026" in French) shows an empty field, and saving the form erases
    the date."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


MAX_ATTACHMENTS = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("At most %(n)d files per message."), params={"n": MAX_ATTACHMENTS})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


# --- Agent desk ------------------------------------------------------------------------------------


class PrefixedIds:
    """Distinct element ids for the several forms of one page ("reply-body", "note-body")."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


BOOL_CHOICES = [("", _("Any")), ("1", _("Yes"))]


class QueueFilterForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Queue"),
        choices=[("team", _("Team queue")), ("mine", _("My queue"))],
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All open"))]
        + [(s.value, s.label) for s in Status if s not in (Status.SOLVED, Status.CLOSED)],
        required=False,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("Any")), *Priority.choices], required=False
    )
    plan = forms.ChoiceField(label=_("Plan"), choices=[("", _("Any")), *Plan.choices], required=False)
    # Plain choices from one narrow query: a ModelChoiceField builds a model instance per option.
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), coerce=int, required=False, empty_value=None
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    breached = forms.ChoiceField(label=_("Breached only"), choices=BOOL_CHOICES, required=False)
    due_within = forms.IntegerField(
        label=_("Due within (minutes)"), min_value=1, max_value=60 * 24 * 365, required=False
    )

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "organisation").choices = [
            ("", _("Any")),
            *Organisation.objects.order_by("name").values_list("pk", "name"),
        ]
        choice_field(self, "assignee").choices = [("", _("Anyone")), ("none", _("Unassigned"))] + [
            (str(a.pk), str(a)) for a in agents
        ]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=80)
    shared = forms.BooleanField(label=_("Share with the team"), required=False)


class ReplyForm(PrefixedIds, forms.Form):
    id_prefix = "reply"

    body = forms.CharField(label=_("Reply"), widget=forms.Textarea, max_length=100_000)
    attachments = MultipleFileField(label=_("Attachments"))


class NoteForm(PrefixedIds, forms.Form):
    id_prefix = "note"

    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea, max_length=100_000)


class CallForm(PrefixedIds, forms.Form):
    id_prefix = "call"

    caller = forms.CharField(label=_("Caller"), max_length=200)
    phone_number = forms.CharField(label=_("Number"), max_length=32)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=0, max_value=24 * 60)
    # R-PRIO-7: on P3/P4 the desk calls the customer only in their business hours; the customer
    # may call at any time. Asked every time, never assumed.
    direction = forms.ChoiceField(
        label=_("Who called?"),
        choices=[
            ("inbound", _("The customer called us (inbound)")),
            ("outbound", _("We called the customer (outbound)")),
        ],
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea, max_length=100_000)


class StatusForm(PrefixedIds, forms.Form):
    id_prefix = "status"

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    reason = forms.CharField(label=_("Reason (optional)"), max_length=2000, required=False)


class AssignForm(PrefixedIds, forms.Form):
    id_prefix = "assign"

    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        people = [(str(a.pk), str(a)) for a in agents]
        choice_field(self, "assignee").choices = [("", _("Unassigned")), *people]


class RaiseForm(PrefixedIds, forms.Form):
    id_prefix = "raise"

    priority = forms.ChoiceField(label=_("New priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    impact_confirmed = forms.BooleanField(
        label=_("The customer confirmed impact and availability"), required=False
    )


class DowngradeForm(PrefixedIds, forms.Form):
    id_prefix = "downgrade"

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ContactAttemptForm(PrefixedIds, forms.Form):
    id_prefix = "contact"

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.EMAIL, Channel.PORTAL)],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    answered = forms.BooleanField(label=_("The customer answered"), required=False)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)


# --- Customer portal -------------------------------------------------------------------------------


class NewTicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Describe the problem"), widget=forms.Textarea, max_length=100_000)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=forms.RadioSelect)
    impact_confirmed = forms.BooleanField(required=False)
    contact_phone = forms.CharField(label=_("Phone number to reach you"), max_length=32, required=False)
    attachments = MultipleFileField(label=_("Attachments"))


class PortalReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea, max_length=100_000)
    attachments = MultipleFileField(label=_("Attachments"))


# --- Administration --------------------------------------------------------------------------------


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "email_domain"]


class ContractForm(forms.ModelForm):
    """The contract, with the per-priority target overrides as four optional minute fields."""

    class Meta:
        model = Contract
        fields = [
            "reference",
            "plan",
            "hours",
            "region",
            "time_zone",
            "holiday_country",
            "holiday_subdivision",
            "valid_from",
            "valid_until",
            "pause_when_waiting",
            "downgrade_keeps_miss",
            "closed_unanswered_missed",
        ]
        widgets = {
            "valid_from": IsoDateInput(),
            "valid_until": IsoDateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        overrides = (self.instance.target_overrides or {}) if self.instance else {}
        for priority in Priority.values:
            # Laid out as one group under "Target overrides (minutes …)": the label is the priority.
            self.fields[f"target_{priority}"] = forms.IntegerField(
                label=Priority(priority).label,
                min_value=1,
                max_value=60 * 24 * 365,
                required=False,
                initial=overrides.get(priority),
            )

    def clean_holiday_country(self) -> str:
        return self.cleaned_data["holiday_country"].upper()

    def clean(self):
        cleaned = super().clean()
        data = self.cleaned_data  # what clean() returns, never None (unlike the stub says)
        self.instance.target_overrides = {
            p: data[f"target_{p}"] for p in Priority.values if data.get(f"target_{p}") is not None
        }
        return cleaned

    @property
    def target_fields(self):
        return [self[f"target_{p}"] for p in Priority.values]

    @property
    def main_fields(self):
        return [self[name] for name in self.Meta.fields]


class HolidayOverrideForm(forms.ModelForm):
    class Meta:
        model = HolidayOverride
        fields = ["date", "name", "closed"]
        widgets = {"date": IsoDateInput()}
        labels = {"closed": _("Closed that day (untick: open despite a public holiday)")}


class PersonForm(forms.ModelForm):
    password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput, required=False, help_text=_("Empty: unchanged.")
    )

    class Meta:
        model = Person
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "organisation",
            "language",
            "time_zone",
            "phone",
            "is_billing_contact",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "role").choices = Role.choices
        choice_field(self, "language").choices = Language.choices
        self.fields["time_zone"].validators = [validate_time_zone]

    def save(self, commit: bool = True):
        person = super().save(commit=False)
        if self.cleaned_data.get("password"):
            person.set_password(self.cleaned_data["password"])
        elif person.pk is None:
            person.set_unusable_password()
        if commit:
            person.save()
        return person


class CalendarPreviewForm(forms.Form):
    week = forms.DateField(label=_("Any day of the week"), widget=IsoDateInput())
    priority = forms.ChoiceField(label=_("Clock of priority"), choices=Priority.choices, initial="P1")

    @property
    def monday(self) -> dt.date:
        day = self.cleaned_data["week"]
        return day - dt.timedelta(days=day.weekday())


class DeskNewTicketForm(PrefixedIds, forms.Form):
    """A request taken by an agent (a phone call, a forwarded e-mail) on behalf of a customer."""

    id_prefix = "new"

    requester = forms.CharField(label=_("Customer contact (user name or e-mail)"), max_length=254)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.EMAIL, Channel.PORTAL)],
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea, max_length=100_000)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    impact_confirmed = forms.BooleanField(
        label=_("The customer confirmed impact and availability (P1/P2)"), required=False
    )
    contact_phone = forms.CharField(
        label=_("Phone number to reach the customer"), max_length=32, required=False
    )
