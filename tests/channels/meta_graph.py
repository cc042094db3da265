"""Pieces of Meta's Graph API shared by the WhatsApp and Messenger/Instagram fakes:
Graph error bodies and webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.support.platform import Reply


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
) -> Reply:
    error: dict[str, Any] = {
        "message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGhIjK",
    }  # fmt: skip
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error})


def expired_token() -> Reply:
    return graph_error(
        401, 190, "Error validating access token: Session has expired on Friday, 02-Jan-26.",
        subcode=463,
    )  # fmt: skip


def rate_limited() -> Reply:
    return graph_error(400, 130429, "(#130429) Rate limit hit", kind="OAuthException")


def hub_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
