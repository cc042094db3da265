"""The API channel: any outside system feeds messages in over JSON and receives replies at
a callback URL. Documented for integrators in docs/channels/api.md.

Inbound: ``POST /api/v1/channels/api/{key}/messages`` with ``Authorization: Bearer
<channel secret>``. Outbound: ``POST <callback_url>`` with a JSON body signed
``X-Unidesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` and an
``Idempotency-Key`` that stays the same across retries of one reply.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from unidesk import __version__
from unidesk.channels.base import (
    ChannelAdapter,
    DeliveryResult,
    IdentityRef,
    InboundAttachment,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    OutboundMessage,
    PermanentError,
    TransientError,
    VerificationFailed,
    WebhookRequest,
)
from unidesk.channels.registry import register
from unidesk.core import crypto
from unidesk.core.errors import PayloadTooLarge
from unidesk.customers.models import IdentityKind


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IdentityKind = Field(description="email, phone, telegram, … or api for your own ids")
    value: str = Field(min_length=1, max_length=320)


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="", max_length=127)
    data_base64: str


class ApiInboundPayload(BaseModel):
    """One message from an outside system."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    external_id: str = Field(
        min_length=1, max_length=255, description="Your id of this message; repeats are ignored."
    )
    identity: IdentityIn
    name: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=200_000)
    html: str = Field(default="", max_length=1_000_000)
    subject: str = Field(default="", max_length=300)
    thread: str = Field(
        default="",
        max_length=255,
        description="Messages with the same thread continue one ticket; without it each "
        "message opens a new ticket.",
    )
    sent_at: datetime | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)

    @field_validator("sent_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("sent_at needs a time zone, e.g. 2026-01-31T10:00:00Z")
        return value


def decode_attachment(index: int, item: AttachmentIn) -> InboundAttachment:
    limit = settings.MAX_ATTACHMENT_BYTES
    field = f"attachments.{index}.data_base64"
    if len(item.data_base64) * 3 // 4 > limit + 3:
        raise PayloadTooLarge(
            f"Attachment {item.filename!r} is larger than the limit of {limit} bytes.",
            fields={field: f"larger than {limit} bytes"},
        )
    try:
        data = base64.b64decode("".join(item.data_base64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPayload(
            f"Attachment {item.filename!r} is not valid base64.", fields={field: "invalid_base64"}
        ) from None
    if len(data) > limit:
        raise PayloadTooLarge(
            f"Attachment {item.filename!r} is {len(data)} bytes; the limit is {limit} bytes.",
            fields={field: f"larger than {limit} bytes"},
        )
    return InboundAttachment(
        filename=item.filename, content_type=item.content_type, data=data, size=len(data)
    )


def to_inbound(payload: ApiInboundPayload) -> InboundMessage:
    """Turn a validated payload into an InboundMessage (decoding attachments)."""
    if not (payload.text or payload.html or payload.attachments):
        raise InvalidPayload(
            "A message needs text, html or an attachment.", fields={"text": "required"}
        )
    attachments = tuple(decode_attachment(i, a) for i, a in enumerate(payload.attachments))
    return InboundMessage(
        external_id=payload.external_id,
        identity=IdentityRef(kind=payload.identity.kind.value, value=payload.identity.value),
        text=payload.text,
        html=payload.html,
        name=payload.name,
        subject=payload.subject,
        thread_key=payload.thread,
        sent_at=payload.sent_at,
        attachments=attachments,
    )


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    digest = crypto.hmac_sha256_hex(secret, f"{timestamp}.".encode() + body)
    return f"t={timestamp},v1={digest}"


@register
class ApiAdapter(ChannelAdapter):
    kind = "api"
    settings_names = frozenset({"callback_url"})
    inbound_secret_use = gettext_lazy(
        "Send it with every message as “Authorization: Bearer …”. Replies posted to "
        "callback_url are signed with it (X-Unidesk-Signature)."
    )

    def verify(self, request: WebhookRequest) -> None:
        header = request.header("authorization")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise VerificationFailed("Send the channel secret as 'Authorization: Bearer …'.")
        if not crypto.constant_time_equals(token.strip(), self.config.secret("secret")):
            raise VerificationFailed("The channel secret is wrong.")

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        try:
            payload = ApiInboundPayload.model_validate_json(request.body)
        except ValidationError as exc:
            fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
            raise InvalidPayload("The message does not match the schema.", fields=fields) from None
        return [to_inbound(payload)]

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        url = self.config.setting("callback_url")
        if not url:
            raise PermanentError(
                "This API channel has no callback_url, so replies stay in unidesk "
                "(read them with GET /api/v1/tickets/{id}/messages)."
            )
        body = json.dumps(self._callback_body(outbound), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"unidesk/{__version__}",
            "Idempotency-Key": outbound.idempotency_key,
            "X-Unidesk-Signature": signature_header(
                self.config.secret("secret"), body, int(time.time())
            ),
        }
        timeout = settings.UNIDESK["DELIVERY_TIMEOUT_SECONDS"]
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            raise TransientError(f"The callback URL did not answer within {timeout} s.") from None
        except httpx.HTTPError as exc:
            raise TransientError(
                f"Could not reach the callback URL: {type(exc).__name__}."
            ) from None
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise TransientError(f"The callback URL answered {response.status_code}.")
        if response.status_code >= 300:
            raise PermanentError(
                f"The callback URL refused the reply with {response.status_code}: "
                f"{response.text[:200]}"
            )
        return DeliveryResult(status="sent")

    def _callback_body(self, outbound: OutboundMessage) -> dict[str, Any]:
        return {
            "event": "message.created",
            "ticket": {
                "id": outbound.ticket_id,
                "number": outbound.ticket_number,
                "thread": outbound.thread_key,
                "subject": outbound.subject,
            },
            "message": {
                "id": outbound.message_id,
                "text": outbound.text,
                "html": outbound.html,
                "author": {"name": outbound.author_name},
                "created_at": outbound.created_at.isoformat() if outbound.created_at else None,
                "in_reply_to": outbound.in_reply_to,
                "attachments": [
                    {
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": len(a.data),
                        "data_base64": base64.b64encode(a.data).decode(),
                    }
                    for a in outbound.attachments
                ],
            },
            "recipient": (
                {"kind": outbound.recipient.kind, "value": outbound.recipient.value}
                if outbound.recipient
                else None
            ),
        }
