"""Request middleware that belongs to no single app."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

from unidesk.core.inputs import querydict_without_nul

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class NulFreeInputMiddleware:
    """Take NUL characters out of query strings and workspace forms (see
    ``core.inputs``). API bodies are cleaned by the API's parser; webhook bodies are
    stored as they came and cleaned by the adapters' value types."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.GET = querydict_without_nul(request.GET)  # type: ignore[assignment]
        # Reading the form of an API or webhook request here would parse bodies that
        # their views read raw (after authenticating the sender).
        if request.content_type in _FORMS and not request.path.startswith("/api/"):
            # A form nobody can read (no boundary, a bad length): Django leaves it empty,
            # and the view answers for what is missing in its own way.
            with contextlib.suppress(MultiPartParserError):
                request.POST = querydict_without_nul(request.POST)  # type: ignore[assignment]
        return self.get_response(request)
