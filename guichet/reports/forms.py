"""The report filter shared by the page and the exports.

GET parameters: from, to, organisation, by, zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.reports.parameters import (
    DIMENSION_LABELS,
    DIMENSIONS,
    Period,
    ReportError,
    parse_zone,
)
from guichet.tickets.selectors import visible_organisations

if TYPE_CHECKING:
    from guichet.accounts.models import Person


class ReportForm(forms.Form):
    zone = forms.CharField(label=_("Time zone for months and days"), max_length=64, required=False)
    by = forms.MultipleChoiceField(
        label=_("Group by"),
        choices=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data: Mapping[str, Any] | None = None, *, person: Person, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.person = person
        # "from"/"to" are Python keywords, hence fields added by name.
        # <input type=date> takes ISO values only, whatever the language (French would write 01/11/2026).
        self.fields["from"] = forms.DateField(
            label=_("From (submitted on or after)"),
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        self.fields["to"] = forms.DateField(
            label=_("To (submitted on or before)"),
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        if not person.is_customer:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Organisation"),
                queryset=visible_organisations(person),
                required=False,
                empty_label=_("All organisations"),
            )
        self.order_fields(["from", "to", "organisation", "by", "zone"])

    @classmethod
    def defaults(cls, person: Person) -> dict[str, Any]:
        """This month so far, in the viewer's zone, grouped the way the expectation names."""
        zone = person.time_zone or "UTC"
        today = timezone.now().astimezone(parse_zone(zone)).date()
        by = ["plan", "priority", "month"]
        if not person.is_customer:
            by.insert(2, "organisation")
        return {"from": today.replace(day=1).isoformat(), "to": today.isoformat(), "zone": zone, "by": by}

    def clean_zone(self) -> str:
        name = (self.cleaned_data.get("zone") or "").strip() or self.person.time_zone or "UTC"
        try:
            parse_zone(name)
        except ReportError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean() returns cleaned_data itself (the stubs allow None for overrides)
        data = self.cleaned_data
        start: dt.date | None = data.get("from")
        end: dt.date | None = data.get("to")
        zone = data.get("zone")
        if start and end and zone:
            try:
                data["period"] = Period(start, end, parse_zone(zone))
            except ReportError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data
