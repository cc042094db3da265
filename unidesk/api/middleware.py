from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from unidesk.api.errors import error_response


class ApiErrorShapeMiddleware:
    """Give the few errors the framework answers by itself under /api/ (405 from routing)
    the API's JSON error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            shaped = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here."
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
