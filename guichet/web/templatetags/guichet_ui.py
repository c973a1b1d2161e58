"""Small presentation helpers: business durations, instants and dates (through `guichet.web.timefmt`,
the one place that formats them), query strings."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from guichet.web import timefmt

register = template.Library()


def _seconds(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return int(value)


@register.filter
def duration(value) -> str:
    """A business duration for people: "24 h 00 min", "1 h 05 min", "12 min", "40 s" (never days)."""
    return timefmt.duration_text(_seconds(value))


@register.filter
def target(value) -> str:
    """A response target in hours and minutes ("24 h", "1 h 30 min", "30 min"): never days, since a
    target of 24 business hours is not one calendar day."""
    seconds = _seconds(value)
    if seconds is None:
        return ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes = rest // 60
    if hours and minutes:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}


@register.filter
def minutes_duration(value) -> str:
    """A target stored in minutes, shown like `target`."""
    if value is None or value == "":
        return ""
    return target(int(value) * 60)


@register.filter
def in_zone(value: dt.datetime | None, zone: str | zoneinfo.ZoneInfo | None = None) -> str:
    """An instant as wall time in `zone` (default: the active zone), with the zone's abbreviation."""
    return timefmt.datetime_text(value, zone)


@register.filter
def when(value: dt.datetime | None, zone: str | zoneinfo.ZoneInfo | None = None) -> SafeString:
    """ "12 min ago", the exact instant (in `zone`, default the viewer's) on hover: <time title>."""
    return timefmt.time_html(value, zone)


@register.filter
def exact(value: dt.datetime | None, zone: str | zoneinfo.ZoneInfo | None = None) -> SafeString:
    """The exact instant in `zone` inside <time datetime>: for due times, read exactly."""
    return timefmt.exact_time_html(value, zone)


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    """A date in the language's one date format ("Sun 29 Nov 2026", "dim 29 nov. 2026")."""
    return timefmt.date_text(value)


@register.filter
def iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat() if value else ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" removes them)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def seconds_until(value: dt.datetime | None, now: dt.datetime) -> str:
    """Whole seconds from `now` to `value` (for the countdown's next open/close boundary)."""
    if value is None or now is None:
        return ""
    return str(max(0, int((value - now).total_seconds())))


@register.simple_tag
def select_field(field) -> str:
    """A <select> for a bound choice field, built in Python: Django's widget templates render each
    <option> through a template, which costs milliseconds per hundred options (the queue filters)."""

    current = field.value()
    current = "" if current is None else str(current)
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (str(value), " selected" if str(value) == current else "", label)
            for value, label in field.field.choices
        ),
    )
    described = f' aria-describedby="{field.auto_id}_error"' if field.errors else ""
    return format_html(
        '<select name="{}" id="{}"{}>{}</select>',
        field.html_name,
        field.auto_id,
        mark_safe_str(described),
        options,
    )


def mark_safe_str(value: str):

    return mark_safe(value)  # built from an auto id only
