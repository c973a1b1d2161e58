"""Small presentation helpers: business durations, instants in a given zone, query strings."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

register = template.Library()


def _seconds(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return int(value)


@register.filter
def duration(value) -> str:
    """A business duration for people: "2 d 3 h", "1 h 05 min", "12 min", "40 s"."""
    seconds = _seconds(value)
    if seconds is None:
        return ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d %(unit)s %(h)d h") % {
            "d": days,
            "unit": pgettext("abbreviation of days", "d"),
            "h": hours,
        }
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}


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
    if value is None:
        return ""
    if zone is None or zone == "":
        from django.utils import timezone

        local = timezone.localtime(value)
    else:
        local = value.astimezone(zoneinfo.ZoneInfo(str(zone)) if isinstance(zone, str) else zone)
    # Translators: date and time format (PHP-style, as Django's date filter) for due times.
    text = formats.date_format(local, _("D j M Y, H:i"))
    return f"{text} {local.tzname()}"


@register.filter
def iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat() if value else ""


@register.filter
def plural_days(value: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", value) % {"n": value}


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
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


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
