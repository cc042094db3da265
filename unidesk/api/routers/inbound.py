"""Inbound endpoints for channels, authenticated by the channel's secret or the
platform's signature rather than an agent token."""

from __future__ import annotations

from typing import Any

import pydantic
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer

from unidesk.api.errors import reject_lone_surrogates
from unidesk.api.schemas import ErrorOut, InboundAccepted
from unidesk.channels import registry
from unidesk.channels.api.adapter import ApiInboundPayload, to_inbound
from unidesk.channels.base import WebhookRequest
from unidesk.channels.ingest import IngestResult, ingest
from unidesk.channels.ingest_group import ingest_group
from unidesk.channels.models import ChannelAccount
from unidesk.channels.selectors import (
    active_channel,
    active_channel_for_webhook,
    remembered_channel,
)
from unidesk.channels.webhooks import webhook_receive
from unidesk.core.inputs import loads_untrusted

router = Router(tags=["inbound"])
ERRORS: dict[int, Any] = {
    401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut,
}  # fmt: skip


def webhook_request(request: HttpRequest) -> WebhookRequest:
    return WebhookRequest(
        method=request.method or "POST",
        headers={k.lower(): v for k, v in request.headers.items()},
        query={name: request.GET.get(name, "") for name in request.GET},
        body=request.body,
    )


class ChannelSecret(HttpBearer):
    """The API channel's secret as a bearer token. Runs before the body is parsed, so an
    unknown key answers 404 and a wrong secret 401 whatever the body holds."""

    def __call__(self, request: HttpRequest) -> Any:
        key = request.resolver_match.kwargs.get("key", "") if request.resolver_match else ""
        account = active_channel(kind="api", key=key)
        registry.adapter_for(account).verify(webhook_request(request))
        request.channel_account = account  # type: ignore[attr-defined]
        return account

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        return None


@router.post(
    "/api/{key}/messages",
    auth=ChannelSecret(),
    response={200: InboundAccepted, 201: InboundAccepted, **ERRORS},
    summary="Feed a message in through an API channel",
)
def api_channel_message(
    request: HttpRequest, key: str, payload: ApiInboundPayload
) -> Status[dict[str, Any]]:
    """Authenticate with `Authorization: Bearer <channel secret>`. A repeated
    `external_id` answers 200 with the stored message and creates nothing."""
    account = request.channel_account  # type: ignore[attr-defined]
    result = ingest(account, to_inbound(payload))
    return Status(*accepted(result))


def accepted(result: IngestResult) -> tuple[int, dict[str, Any]]:
    body = {
        "message_id": result.message.pk,
        "ticket_id": result.ticket.pk,
        "ticket_number": result.ticket.number,
        "duplicate": result.duplicate,
    }
    return 200 if result.duplicate else 201, body


async def api_channel_message_async(
    *, key: str, request: WebhookRequest
) -> tuple[int, dict[str, Any]]:
    """``api_channel_message`` for the server's lane (``unidesk.api.webhook_lane``): the
    same checks in the same order with the same errors, the channel remembered for a few
    seconds, and the message ingested with the others arriving at the same time
    (``channels.ingest_group``). Raises what the route's handlers turn into error bodies."""
    account = remembered_channel(kind="api", key=key)
    if account is None:
        account = await sync_to_async(_channel_in_thread, thread_sensitive=False)(key)
    registry.adapter_for(account).verify(request)
    payload = _payload_of(request.body)
    result = await ingest_group().ingest(account, lambda: to_inbound(payload))
    return accepted(result)


def _channel_in_thread(key: str) -> ChannelAccount:
    close_old_connections()
    try:
        return active_channel_for_webhook(kind="api", key=key)
    finally:
        close_old_connections()


def _payload_of(body: bytes) -> ApiInboundPayload:
    """Validate as the route's ninja schema does, raising ninja's own errors."""
    if not body:
        raise ValidationError([{"loc": ("body", "payload"), "msg": "Field required"}])
    try:
        data = loads_untrusted(body)
    except ValueError as exc:
        raise HttpError(400, "Cannot parse request body") from exc
    reject_lone_surrogates(data)
    try:
        return ApiInboundPayload.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = [
            {**error, "loc": ("body", "payload", *error["loc"])}
            for error in exc.errors(include_url=False)
        ]
        raise ValidationError(errors) from None


@router.post(
    "/email/{key}/raw",
    auth=None,
    response={200: Any, **ERRORS},
    summary="Feed a raw email (message/rfc822) into a mailbox",
)
def email_raw(request: HttpRequest, key: str) -> HttpResponse:
    """For mail providers' inbound routes: the body is the message exactly as received.
    Authenticate with `Authorization: Bearer <mailbox secret>`, or sign the body:
    `X-Unidesk-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`. The
    message is stored before the answer and processed by a worker, so a 200 means it cannot
    be lost; the same bytes again answer `{"ok": true, "duplicate": true}`."""
    answer = webhook_receive(kind="email", key=key, request=webhook_request(request))
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@router.api_operation(
    ["GET"], "/{kind}/{key}/webhook", auth=None, summary="Platform webhook handshake"
)
def platform_handshake(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    account = active_channel(kind=kind, key=key)
    answer = registry.adapter_for(account).handshake(webhook_request(request))
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@router.post(
    "/{kind}/{key}/webhook",
    auth=None,
    response={200: Any, **ERRORS},
    summary="Platform webhook",
)
def platform_webhook(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Verified by the platform's signature or secret, stored, and answered at once in the
    platform's expected shape; the payload is processed in the background. A re-delivered
    update creates nothing. (The server answers this URL from its webhook lane,
    `unidesk.api.webhook_lane`, with the same service; this route serves other stacks.)"""
    answer = webhook_receive(kind=kind, key=key, request=webhook_request(request))
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
