from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

_LANGUAGES = {code for code, _ in settings.LANGUAGES}


class AgentPreferencesMiddleware:
    """A signed-in agent works in the language and time zone of their profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language in _LANGUAGES:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response
