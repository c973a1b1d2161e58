"""Activate the signed-in person's language and time zone on every request."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation


class PersonPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            # An explicit choice made with the language switch (stored in a cookie) wins over the
            # profile only for this browser; the profile language is the default.
            if not request.COOKIES.get("django_language") and user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
        else:
            timezone.deactivate()
        return self.get_response(request)
