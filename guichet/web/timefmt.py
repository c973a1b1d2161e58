"""How the desk writes instants, dates and durations: one helper for each, used by every screen.

Formats come from the active language's format module (`guichet/web/formats/<lang>/formats.py`,
DATE_FORMAT and DATETIME_FORMAT), so "Sun 29 Nov 2026" and "Nov. 1, 2026" never meet on one desk.
An instant is always written with its zone's abbreviation (the viewer's zone unless another is
named); a relative time ("12 min ago") is always wrapped in `<time datetime title>` carrying the
exact instant, shown on hover.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

type Zone = str | zoneinfo.ZoneInfo | None

# Beyond this, "in 45 days" helps nobody: the date itself is shown.
RELATIVE_LIMIT = dt.timedelta(days=30)


def _zone(zone: Zone) -> zoneinfo.ZoneInfo | None:
    if zone is None or zone == "":
        return None
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone


def local(value: dt.datetime, zone: Zone = None) -> dt.datetime:
    """`value` as wall time in `zone` (default: the active zone, the viewer's)."""
    target = _zone(zone)
    return timezone.localtime(value) if target is None else value.astimezone(target)


def datetime_text(value: dt.datetime | None, zone: Zone = None) -> str:
    """ "Sun 29 Nov 2026, 21:51 EST": the language's DATETIME_FORMAT, then the zone's abbreviation."""
    if value is None:
        return ""
    wall = local(value, zone)
    return f"{formats.date_format(wall, 'DATETIME_FORMAT')} {wall.tzname()}"


def short_datetime_text(value: dt.datetime | None, zone: Zone = None) -> str:
    """ "Mon 30 Nov, 09:00 CET": SHORT_DATETIME_FORMAT, for instants within days of now (the queue)."""
    if value is None:
        return ""
    wall = local(value, zone)
    return f"{formats.date_format(wall, 'SHORT_DATETIME_FORMAT')} {wall.tzname()}"


def date_text(value: dt.date | dt.datetime | None) -> str:
    """ "Sun 29 Nov 2026": the language's DATE_FORMAT (a datetime is taken in the active zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "DATE_FORMAT")


def month_text(value: dt.date | None) -> str:
    """ "November 2026"."""
    return formats.date_format(value, "YEAR_MONTH_FORMAT") if value else ""


def relative_text(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "just now", "12 min ago", "in 3 h", "2 days ago"; the date beyond a month."""
    now = now or timezone.now()
    seconds = (value - now).total_seconds()
    future, span = seconds > 0, abs(seconds)
    if span >= RELATIVE_LIMIT.total_seconds():
        return date_text(value)
    if span < 60:
        return _("in under a minute") if future else _("just now")
    if span < 3600:
        n = int(span // 60)
        return (_("in %(n)d min") if future else _("%(n)d min ago")) % {"n": n}
    if span < 86400:
        n = int(span // 3600)
        return (_("in %(n)d h") if future else _("%(n)d h ago")) % {"n": n}
    n = int(span // 86400)
    if future:
        return ngettext("in %(n)d day", "in %(n)d days", n) % {"n": n}
    return ngettext("%(n)d day ago", "%(n)d days ago", n) % {"n": n}


def time_html(value: dt.datetime | None, zone: Zone = None, now: dt.datetime | None = None) -> SafeString:
    """A relative time with the exact instant on hover: `<time datetime="ISO" title="exact">`."""
    if value is None:
        return SafeString("")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.astimezone(dt.UTC).isoformat(),
        datetime_text(value, zone),
        relative_text(value, now),
    )


def exact_time_html(value: dt.datetime | None, zone: Zone = None) -> SafeString:
    """An exact instant, machine-readable too (due times are read exactly, never relatively)."""
    if value is None:
        return SafeString("")
    return format_html(
        '<time datetime="{}">{}</time>', value.astimezone(dt.UTC).isoformat(), datetime_text(value, zone)
    )


def duration_text(seconds: int | float | dt.timedelta | None) -> str:
    """A business duration: "24 h 00 min", "1 h 05 min", "12 min", "40 s". Never days: 24 business
    hours are three working days on an 8 × 5 calendar, not "1 d"."""
    if seconds is None or seconds == "":
        return ""
    if isinstance(seconds, dt.timedelta):
        seconds = seconds.total_seconds()
    total = abs(int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}
