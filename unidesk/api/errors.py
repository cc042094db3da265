"""Every API error has one shape: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.errors import ValidationError

from unidesk.core.inputs import first_lone_surrogate

logger = logging.getLogger("unidesk.api")


_TYPE_TAGS = {"str", "int", "float", "bool", "none", "list", "dict", "datetime"}


def error_response(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def pydantic_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    """Field paths as clients write them: ``identity.value``, ``attachments.0.filename``.
    The first element of ninja's locations names the request part (body, query, path)."""
    fields: dict[str, str] = {}
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "cookie", "form"}:
            loc = loc[1:]
        if loc and loc[0] in {"payload", "data", "filters", "query"}:
            loc = loc[1:]
        # Union members add their type to the location ("status.literal[...]").
        loc = [part for part in loc if "[" not in part and part not in _TYPE_TAGS]
        name = ".".join(loc) or "body"
        fields.setdefault(name, str(error.get("msg", "invalid")))
    return fields


def json_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", f"No API endpoint at /api/v1/{rest}.")


LONE_SURROGATE = "holds a lone UTF-16 surrogate, which is not text"


def reject_lone_surrogates(data: object) -> None:
    """Raise ninja's ValidationError naming the first string in a parsed JSON body that
    holds a lone surrogate (``"\\ud800"``): no field can store it."""
    path = first_lone_surrogate(data)
    if path is not None:
        raise ValidationError([{"loc": ("body", "payload", *path), "msg": LONE_SURROGATE}])
