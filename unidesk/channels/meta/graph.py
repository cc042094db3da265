"""What Meta's platforms share: the Graph API, its webhook signature and verify-token
handshake, and its error shape (WhatsApp Cloud API, Messenger, Instagram).

https://developers.facebook.com/docs/graph-api/webhooks/getting-started
https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

from __future__ import annotations

import httpx

from unidesk.channels.base import (
    HandshakeResponse,
    PermanentError,
    TransientError,
    VerificationFailed,
    WebhookRequest,
)
from unidesk.channels.platform_http import json_or_none, retry_after
from unidesk.core import crypto

GRAPH_BASE = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"
SIGNATURE_HEADER = "x-hub-signature-256"

# Codes Meta documents as "try again later": throttling and temporary outages.
_TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131016, 131056})
_TOKEN_CODES = frozenset({102, 190, 463, 467})


def verify_signature(request: WebhookRequest, app_secret: str) -> None:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app
    secret>``; a missing header is 401, a wrong one 403."""
    header = request.header(SIGNATURE_HEADER)
    if not header:
        raise VerificationFailed("Missing X-Hub-Signature-256.")
    if not app_secret:
        raise VerificationFailed(
            "This channel has no app_secret, so signatures cannot be checked.", status=403
        )
    scheme, _, given = header.partition("=")
    expected = crypto.hmac_sha256_hex(app_secret, request.body)
    if scheme.strip().lower() != "sha256" or not crypto.constant_time_equals(
        given.strip().lower(), expected
    ):
        raise VerificationFailed("The X-Hub-Signature-256 signature does not match.", status=403)


def verify_token_handshake(request: WebhookRequest, verify_token: str) -> HandshakeResponse:
    """Answer Meta's subscription check: echo ``hub.challenge`` when ``hub.mode`` is
    ``subscribe`` and ``hub.verify_token`` is ours."""
    mode = request.query.get("hub.mode", "")
    token = request.query.get("hub.verify_token", "")
    challenge = request.query.get("hub.challenge", "")
    if mode != "subscribe" or not verify_token or not challenge:
        return HandshakeResponse(400, "Expected hub.mode=subscribe with a hub.challenge.")
    if not crypto.constant_time_equals(token, verify_token):
        return HandshakeResponse(403, "The verify token does not match.")
    return HandshakeResponse(200, challenge[:200])


def graph_result(response: httpx.Response, *, platform: str) -> dict[str, object]:
    """The JSON body of a successful Graph call, or a readable error."""
    body = json_or_none(response)
    if response.status_code < 300 and isinstance(body, dict) and "error" not in body:
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(
                f"{platform} answered {response.status_code}.", retry_after=retry_after(response)
            )
        raise PermanentError(f"{platform} answered {response.status_code}.")
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = str(error.get("error_user_msg") or error.get("message") or "")[:300]
    details = error.get("error_data")
    if isinstance(details, dict) and details.get("details"):
        message = f"{message} ({str(details['details'])[:200]})"
    if code in _TOKEN_CODES:
        raise PermanentError(
            f"{platform} rejected the access token (error {code}"
            f"{f'/{subcode}' if subcode else ''}): {message} Generate a new token and update "
            "the channel settings."
        )
    if code == 131047:
        raise PermanentError(
            f"{platform}: more than 24 hours have passed since the customer last wrote, so only "
            "an approved template can be sent now."
        )
    if code == 10 and subcode in (2018278, 2534022):
        raise PermanentError(
            f"{platform}: the customer last wrote too long ago (outside the messaging window); "
            "the reply can only reach them after they write again."
        )
    if code in _TRANSIENT_CODES or error.get("is_transient") or response.status_code >= 500:
        raise TransientError(
            f"{platform} is busy (error {code}): {message}", retry_after=retry_after(response)
        )
    raise PermanentError(f"{platform} refused the request (error {code}): {message}")


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0
