"""WhatsApp Business through Meta's Cloud API
(https://developers.facebook.com/docs/whatsapp/cloud-api).

Inbound: webhooks signed with ``X-Hub-Signature-256`` (the app secret), subscribed with
the verify-token handshake on GET. ``messages`` become customer messages (media fetched
later through the media endpoint with the access token); ``statuses`` (sent, delivered,
read, failed) become delivery updates of our replies.

A conversation is one customer number: ``thread_key`` and the identity are the
customer's WhatsApp id (their phone number).

Outbound: ``POST /<phone_number_id>/messages``. WhatsApp only delivers free text within 24
hours of the customer's last message (see ``selectors.customer_service_window``);
outside it an approved template is sent instead (``metadata["template"]``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from unidesk.channels.base import (
    ChannelAdapter,
    DeliveryResult,
    DeliveryUpdate,
    HandshakeResponse,
    IdentityRef,
    InboundAttachment,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    OutboundAttachment,
    OutboundMessage,
    PermanentError,
    WebhookRequest,
    as_dict,
    as_list,
    as_text,
)
from unidesk.channels.meta.graph import (
    GRAPH_BASE,
    GRAPH_VERSION,
    graph_result,
    verify_signature,
    verify_token_handshake,
)
from unidesk.channels.platform_http import PlatformHTTP, attachment_limit, too_large
from unidesk.channels.registry import register
from unidesk.core.inputs import loads_untrusted

# Cloud API media limits: documents up to 100 MB; our own attachment limit usually binds.
MEDIA_LIMIT = 100 * 1024 * 1024
TEXT_LIMIT = 4096
BUTTON_TITLE_LIMIT = 20
ROW_TITLE_LIMIT = 24
STATUSES = frozenset({"sent", "delivered", "read", "failed"})
_MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


@dataclass(frozen=True)
class Template:
    """An approved message template the agents may send (from the ``templates`` setting)."""

    name: str
    language: str
    text: str = ""


def templates_from_setting(raw: str) -> tuple[Template, ...]:
    """``templates`` is either ``name:language,name:language`` or a JSON list of
    ``{"name", "language", "text"}`` (``text`` with ``{{1}}`` placeholders, for the
    preview agents see)."""
    raw = (raw or "").strip()
    if not raw:
        return ()
    if raw.startswith("["):
        try:
            items = loads_untrusted(raw)
        except ValueError:
            return ()
        return tuple(
            Template(
                name=str(i["name"]),
                language=str(i.get("language") or "en"),
                text=str(i.get("text") or ""),
            )
            for i in items
            if isinstance(i, dict) and i.get("name")
        )
    found = []
    for item in raw.split(","):
        name, _sep, language = item.strip().partition(":")
        if name.strip():
            found.append(Template(name=name.strip(), language=language.strip() or "en"))
    return tuple(found)


def _when(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _extension(content_type: str) -> str:
    return mimetypes.guess_extension(content_type.split(";", 1)[0].strip()) or ""


@register
class WhatsAppAdapter(ChannelAdapter):
    kind = "whatsapp"
    settings_names = frozenset(
        {"access_token", "app_secret", "verify_token", "phone_number_id", "api_base",
         "api_version", "templates"}
    )  # fmt: skip
    secret_settings = frozenset({"access_token", "app_secret", "verify_token"})

    @property
    def api(self) -> PlatformHTTP:
        token = self.config.secret("access_token")
        if not token:
            raise PermanentError(_("This WhatsApp channel has no access_token."))
        base = self.config.setting("api_base") or GRAPH_BASE
        version = self.config.setting("api_version") or GRAPH_VERSION
        return PlatformHTTP(
            "WhatsApp",
            f"{base.rstrip('/')}/{version}",
            headers={"Authorization": f"Bearer {token}"},
        )

    @property
    def templates(self) -> tuple[Template, ...]:
        return templates_from_setting(self.config.setting("templates"))

    # --- inbound -------------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        verify_signature(request, self.config.secret("app_secret"))

    def handshake(self, request: WebhookRequest) -> HandshakeResponse:
        return verify_token_handshake(request, self.config.secret("verify_token"))

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        try:
            payload = loads_untrusted(request.body)
        except ValueError:
            raise InvalidPayload("The webhook is not JSON.") from None
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
            raise InvalidPayload("Not a WhatsApp Business webhook (object is missing).")
        own_number = self.config.setting("phone_number_id")
        events: list[InboundEvent] = []
        for entry in as_list(payload.get("entry")):
            for item in as_list(as_dict(entry).get("changes")):
                change = as_dict(item)
                value = as_dict(change.get("value"))
                if change.get("field") != "messages":
                    continue
                number = as_text(as_dict(value.get("metadata")).get("phone_number_id"))
                if own_number and number and number != own_number:
                    continue  # another number of the same business account
                names = {
                    str(c.get("wa_id")): as_text(as_dict(c.get("profile")).get("name"))
                    for c in as_list(value.get("contacts"))
                    if isinstance(c, dict)
                }
                for message in as_list(value.get("messages")):
                    parsed = parse_message(message, names)
                    if parsed is not None:
                        events.append(parsed)
                for status in as_list(value.get("statuses")):
                    update = parse_status(status)
                    if update is not None:
                        events.append(update)
        return events

    def download(self, attachment: InboundAttachment) -> InboundAttachment:
        limit = attachment_limit(MEDIA_LIMIT)
        api = self.api
        info = graph_result(api.request("GET", f"/{attachment.remote_ref}"), platform="WhatsApp")
        size = int(str(info.get("file_size") or 0))
        if size > limit:
            raise PermanentError(too_large(limit, size))
        url = str(info.get("url") or "")
        if not url:
            raise PermanentError(_("WhatsApp did not give a download address for the file."))
        data, content_type = api.download(url, limit=limit)
        ctype = attachment.content_type or str(info.get("mime_type") or content_type)
        return InboundAttachment(
            filename=attachment.filename, content_type=ctype, data=data, size=len(data)
        )

    # --- outbound ------------------------------------------------------------------------

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        to = (outbound.recipient.value if outbound.recipient else outbound.thread_key).lstrip("+")
        if not to:
            raise PermanentError(_("This conversation has no WhatsApp number to answer."))
        number = self.config.setting("phone_number_id")
        if not number:
            raise PermanentError(_("This WhatsApp channel has no phone_number_id."))
        api = self.api
        ids: list[str] = []
        template = outbound.metadata.get("template")
        if isinstance(template, dict):
            ids.append(self._post(api, number, to, self._template_body(template)))
            return DeliveryResult(external_id=ids[0])
        text = outbound.text.strip()
        buttons = outbound.metadata.get("buttons")
        caption = ""
        if len(outbound.attachments) == 1 and len(text) <= 1024 and not buttons:
            caption, text = text, ""
        if text:
            chunks = [text[i : i + TEXT_LIMIT] for i in range(0, len(text), TEXT_LIMIT)]
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                body = (
                    interactive(chunk, buttons)
                    if last and buttons
                    else {"type": "text", "text": {"body": chunk, "preview_url": True}}
                )
                ids.append(self._post(api, number, to, body))
        for attachment in outbound.attachments:
            media_id = self._upload(api, number, attachment)
            ids.append(self._post(api, number, to, media_body(attachment, media_id, caption)))
            caption = ""
        if not ids:
            raise PermanentError(_("The reply is empty."))
        return DeliveryResult(external_id=ids[0])

    def _template_body(self, template: dict[str, Any]) -> dict[str, Any]:
        parameters = [{"type": "text", "text": str(p)} for p in as_list(template.get("parameters"))]
        body: dict[str, Any] = {
            "name": str(template.get("name", "")),
            "language": {"code": str(template.get("language") or "en")},
        }
        if parameters:
            body["components"] = [{"type": "body", "parameters": parameters}]
        return {"type": "template", "template": body}

    def _post(self, api: PlatformHTTP, number: str, to: str, body: dict[str, Any]) -> str:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        result = graph_result(
            api.request("POST", f"/{number}/messages", json={**payload, **body}),
            platform="WhatsApp",
        )
        messages = result.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id") or "")
        return ""

    def _upload(self, api: PlatformHTTP, number: str, attachment: OutboundAttachment) -> str:
        result = graph_result(
            api.request(
                "POST",
                f"/{number}/media",
                data={"messaging_product": "whatsapp", "type": attachment.content_type},
                files={"file": (attachment.filename, attachment.data, attachment.content_type)},
            ),
            platform="WhatsApp",
        )
        media_id = str(result.get("id") or "")
        if not media_id:
            raise PermanentError(
                _("WhatsApp did not accept the file %(name)s.") % {"name": attachment.filename}
            )
        return media_id


def media_kind(content_type: str) -> str:
    if content_type in ("image/jpeg", "image/png"):
        return "image"
    if content_type in ("video/mp4", "video/3gpp"):
        return "video"
    if content_type.startswith("audio/"):
        return "audio"
    return "document"


def media_body(attachment: OutboundAttachment, media_id: str, caption: str) -> dict[str, Any]:
    kind = media_kind(attachment.content_type)
    media: dict[str, Any] = {"id": media_id}
    if caption and kind != "audio":
        media["caption"] = caption
    if kind == "document":
        media["filename"] = attachment.filename
    return {"type": kind, kind: media}


def interactive(text: str, buttons: Any) -> dict[str, Any]:
    """Buttons as WhatsApp's reply buttons (up to three) or a list (up to ten)."""
    flat = [b for row in buttons for b in (row if isinstance(row, list) else [row])]
    choices = [b for b in flat if isinstance(b, dict) and not b.get("url")][:10]
    if len(choices) <= 3:
        action: dict[str, Any] = {
            "buttons": [
                {
                    "type": "reply",
                    "reply": {
                        "id": str(b.get("data", b.get("text")))[:256],
                        "title": str(b.get("text"))[:BUTTON_TITLE_LIMIT],
                    },
                }
                for b in choices
            ]
        }
        kind = "button"
    else:
        action = {
            "button": _("Choose")[:BUTTON_TITLE_LIMIT],
            "sections": [
                {
                    "rows": [
                        {
                            "id": str(b.get("data", b.get("text")))[:200],
                            "title": str(b.get("text"))[:ROW_TITLE_LIMIT],
                        }
                        for b in choices
                    ]
                }
            ],
        }
        kind = "list"
    return {
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": text}, "action": action},
    }


# --- parsing (pure) ---------------------------------------------------------------------------


def parse_message(message: Any, names: dict[str, str]) -> InboundMessage | None:
    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
        raise InvalidPayload("A WhatsApp message has no id or sender.", fields={"from": "required"})
    kind = str(message.get("type") or "")
    if kind == "reaction":
        return None  # an emoji on an earlier message is not a new message
    sender = str(message["from"])
    text = ""
    metadata: dict[str, Any] = {"whatsapp": {"type": kind}}
    attachments: tuple[InboundAttachment, ...] = ()
    if kind == "text":
        text = str(as_dict(message.get("text")).get("body") or "")
    elif kind in _MEDIA_TYPES:
        media = as_dict(message.get(kind))
        text = str(media.get("caption") or "")
        attachments = (_media_attachment(kind, media, str(message["id"])),)
        if not text:
            text = _describe_media(kind, media, attachments[0].filename)
    elif kind == "interactive":
        reply = as_dict(message.get("interactive"))
        choice = as_dict(reply.get("button_reply") or reply.get("list_reply"))
        text = str(choice.get("title") or "")
        metadata["button"] = str(choice.get("id") or "")
    elif kind == "button":
        button = as_dict(message.get("button"))
        text = str(button.get("text") or "")
        metadata["button"] = str(button.get("payload") or text)
    elif kind == "location":
        loc = as_dict(message.get("location"))
        text = _("Location: %(lat)s, %(lon)s") % {
            "lat": loc.get("latitude"), "lon": loc.get("longitude"),
        }  # fmt: skip
        if loc.get("name") or loc.get("address"):
            text += f"\n{loc.get('name') or ''} {loc.get('address') or ''}".rstrip()
    elif kind == "contacts":
        people = [
            f"{as_dict(c.get('name')).get('formatted_name', '')} "
            + ", ".join(p.get("phone", "") for p in as_list(c.get("phones")))
            for c in as_list(message.get("contacts"))
            if isinstance(c, dict)
        ]
        text = _("Contact: %(people)s") % {"people": "; ".join(p.strip() for p in people)}
    else:
        text = _("(a WhatsApp message of a kind unidesk cannot show: %(kind)s)") % {
            "kind": kind or "unknown"
        }
    context = as_dict(message.get("context"))
    if context.get("id"):
        metadata["reply_to"] = str(context["id"])
    return InboundMessage(
        external_id=str(message["id"]),
        identity=IdentityRef("whatsapp", sender),
        name=names.get(sender, ""),
        text=text,
        thread_key=sender,
        sent_at=_when(message.get("timestamp")),
        attachments=attachments,
        metadata=metadata,
    )


def _media_attachment(kind: str, media: dict[str, Any], message_id: str) -> InboundAttachment:
    content_type = str(media.get("mime_type") or "").split(";")[0].strip()
    short = message_id[-8:].replace("=", "")
    default_ext = ".ogg" if kind == "audio" else _extension(content_type)
    filename = str(media.get("filename") or f"{kind}_{short}{default_ext}")
    return InboundAttachment(
        filename=filename,
        content_type=content_type,
        remote_ref=str(media.get("id") or ""),
        error="" if media.get("id") else _("WhatsApp sent no media id"),
    )


def _describe_media(kind: str, media: dict[str, Any], filename: str) -> str:
    if kind == "audio":
        return _("Voice message") if media.get("voice") else _("Audio")
    if kind == "document":
        return _("File: %(name)s") % {"name": filename}
    return {"image": _("Photo"), "video": _("Video"), "sticker": _("Sticker")}[kind]


def parse_status(status: Any) -> DeliveryUpdate | None:
    if not isinstance(status, dict) or as_text(status.get("status")) not in STATUSES:
        return None
    error = ""
    errors = as_list(status.get("errors"))
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        details = as_dict(first.get("error_data")).get("details") or first.get("message") or ""
        error = f"{first.get('title') or 'Error'} ({first.get('code')}): {details}".strip(": ")
        if first.get("code") == 131047:
            error = _(
                "Not delivered: more than 24 hours have passed since the customer last wrote; "
                "send an approved template instead."
            )
    return DeliveryUpdate(
        external_id=str(status.get("id") or ""), status=status["status"], error=error[:500]
    )
