"""Shared checks for the hostile-input tests."""

from __future__ import annotations

import json
from typing import Any

# Nesting far deeper than Python's JSON parser can follow (it gives up with RecursionError).
DEEP_ARRAY = b"[" * 50_000 + b"]" * 50_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
LONE_SURROGATE = "\ud800"


def error_of(status: int, content: bytes) -> dict[str, Any]:
    """The API error body of a 4xx answer, checked for the documented shape."""
    assert 400 <= status < 500, (status, content[:300])
    error: dict[str, Any] = json.loads(content)["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["message"], error
    return error


def api_error(response: Any) -> dict[str, Any]:
    return error_of(response.status_code, response.content)
