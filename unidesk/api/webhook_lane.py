"""The server's lane for platform webhooks and API-channel messages.

``POST /api/v1/channels/<kind>/<key>/webhook`` and ``POST /api/v1/channels/api/<key>/messages``
are the busiest URLs of a desk, and the most latency-sensitive: platforms give up after a
few seconds and deliver again, integrations feed messages in bursts. In the server they
skip Django's request cycle (browser middleware, per-request threads for signals, URL
resolving): this small ASGI app reads the body and hands it to the same services as the
API routes — ``webhook_receive_async`` (verify, store with the next group commit,
acknowledge) and ``api_channel_message_async`` (verify, validate, ingest with the messages
arriving at the same time) — and answers errors with the API's own handlers, in the API's
own shape. Everything else goes on to Django. See docs/decisions/
005-platform-webhooks-lane.md.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import split_domain_port, validate_host

from unidesk.api.errors import error_response
from unidesk.api.routers.inbound import api_channel_message_async
from unidesk.channels import registry
from unidesk.channels.base import ChannelAdapter, WebhookRequest
from unidesk.channels.webhooks import webhook_receive_async
from unidesk.core.errors import NotFound, PayloadTooLarge

logger = logging.getLogger("unidesk.api")

# Platform webhooks, and raw email (a mailbox's webhook that carries a whole message).
_PATH = re.compile(
    r"^/api/v1/channels/(?P<kind>[a-z]+)/(?P<key>[\w-]{1,64})/(?P<route>webhook|raw)/?$"
)
_API_MESSAGES = re.compile(r"^/api/v1/channels/api/(?P<key>[\w-]{1,64})/messages$")

ASGIApp = Any


def webhook_lane(fallback: ASGIApp) -> ASGIApp:
    """Wrap ``fallback`` (Django) so that platform webhooks take the lane."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        lane = _lane_of(scope)
        if lane is None:
            await fallback(scope, receive, send)
            return
        answer, match = lane
        status, content_type, body = await answer(scope, receive, match)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


Answer = Callable[[dict[str, Any], Any, re.Match[str]], Awaitable[tuple[int, str, bytes]]]


def _lane_of(scope: dict[str, Any]) -> tuple[Answer, re.Match[str]] | None:
    if scope.get("type") != "http" or scope.get("method") != "POST":
        return None
    path = scope.get("path", "")
    match = _PATH.match(path)
    if match is not None and (match["route"] == "webhook" or match["kind"] == "email"):
        return _answer, match
    match = _API_MESSAGES.match(path)
    if match is not None:
        return _answer_api_message, match
    return None


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _host_refused(headers: dict[str, str]) -> tuple[int, str, bytes] | None:
    domain, _port = split_domain_port(headers.get("host", ""))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return _error(error_response(400, "bad_request", "This host name is not served here."))
    return None


async def _answer_api_message(
    scope: dict[str, Any], receive: Any, match: re.Match[str]
) -> tuple[int, str, bytes]:
    """A message through the API channel (see ``api_channel_message_async``)."""
    headers = _headers(scope)
    refused = _host_refused(headers)
    if refused is not None:
        return refused
    try:
        try:
            body = await _read_body(receive, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        except PayloadTooLarge:
            raise RequestDataTooBig("Request body exceeded the limit.") from None
        request = WebhookRequest(
            method="POST",
            headers=headers,
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            body=body,
        )
        status, payload = await api_channel_message_async(key=match["key"], request=request)
    except Exception as exc:
        return _error(_handled(scope, exc))
    return status, "application/json", json.dumps(payload).encode()


async def _answer(
    scope: dict[str, Any], receive: Any, match: re.Match[str]
) -> tuple[int, str, bytes]:
    headers = _headers(scope)
    refused = _host_refused(headers)
    if refused is not None:
        return refused
    try:
        body = await _read_body(receive, _limit(match["kind"]))
        request = WebhookRequest(
            method="POST",
            headers=headers,
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            body=body,
        )
        answer = await webhook_receive_async(kind=match["kind"], key=match["key"], request=request)
    except Exception as exc:
        return _error(_handled(scope, exc))
    return answer.status, answer.content_type, answer.body.encode()


def _limit(kind: str) -> int:
    try:
        return registry.adapter_class(kind).max_webhook_bytes
    except NotFound:
        return ChannelAdapter.max_webhook_bytes  # the channel lookup answers 404 later


async def _read_body(receive: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise PayloadTooLarge("The client went away before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The webhook body is larger than {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _handled(scope: dict[str, Any], exc: Exception) -> Any:
    from unidesk.api.app import api

    # The API's handlers only read the method and path, for the log.
    request = SimpleNamespace(method="POST", path=scope.get("path", ""))
    try:
        return api.on_exception(request, exc)  # type: ignore[arg-type]
    except Exception:
        logger.exception("webhook lane error on %s", scope.get("path", ""))
        return error_response(500, "internal_error", "Something went wrong on our side.")


def _error(response: Any) -> tuple[int, str, bytes]:
    return int(response.status_code), str(response["Content-Type"]), bytes(response.content)
