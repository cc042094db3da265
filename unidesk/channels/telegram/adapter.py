"""Telegram bots through the Bot API (https://core.telegram.org/bots/api).

Inbound: a webhook (``setWebhook`` with ``secret_token``; Telegram sends it back in
``X-Telegram-Bot-Api-Secret-Token``) or long polling with ``getUpdates`` (see
``polling.py``) for desks without a public HTTPS address. Both store the raw ``Update``
under its ``update_id``, so an update seen twice creates nothing.

A conversation is a chat: ``thread_key`` is the chat id, the customer's identity the
sender's user id, and a message's external id ``<chat id>:<message id>`` (message ids
are only unique within a chat).

Outbound: ``sendMessage`` / ``sendPhoto`` / ``sendDocument``; buttons from
``OutboundMessage.metadata["buttons"]`` (rows of ``{"text", "data"}`` or ``{"text",
"url"}``) become an inline keyboard, and a press comes back as a message with
``metadata["button"]`` set to the button's data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from unidesk.channels.base import (
    ChannelAdapter,
    DeliveryResult,
    HandshakeResponse,
    IdentityRef,
    InboundAttachment,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    OutboundAttachment,
    OutboundMessage,
    PermanentError,
    TransientError,
    VerificationFailed,
    WebhookRequest,
    as_dict,
    as_int,
    as_list,
    as_text,
)
from unidesk.channels.platform_http import (
    PlatformHTTP,
    attachment_limit,
    json_or_none,
    megabytes,
    retry_after,
    too_large,
)
from unidesk.channels.registry import register
from unidesk.core import crypto
from unidesk.core.inputs import loads_untrusted

API_BASE = "https://api.telegram.org"
# Bots may download files up to 20 MB (getFile) and send photos up to 10 MB.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 (a header name)


class WebhookActive(PermanentError):
    """getUpdates refused because a webhook is set (HTTP 409)."""


def _when(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _name(user: dict[str, Any]) -> str:
    parts = (as_text(user.get("first_name")), as_text(user.get("last_name")))
    return " ".join(p for p in parts if p).strip()


def _duration(seconds: Any) -> str:
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    return f"{total // 60}:{total % 60:02d}"


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long reply into messages Telegram accepts, at line breaks where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def inline_keyboard(buttons: Any) -> dict[str, Any] | None:
    """Rows of ``{"text", "data"}`` / ``{"text", "url"}`` as Telegram's reply_markup."""
    if not buttons:
        return None
    rows = []
    for row in buttons:
        keys = []
        for button in row if isinstance(row, list) else [row]:
            text = str(button.get("text", ""))[:64]
            if button.get("url"):
                keys.append({"text": text, "url": str(button["url"])})
            else:
                data = str(button.get("data", text)).encode()[:CALLBACK_DATA_LIMIT]
                keys.append({"text": text, "callback_data": data.decode(errors="ignore")})
        if keys:
            rows.append(keys)
    return {"inline_keyboard": rows} if rows else None


@register
class TelegramAdapter(ChannelAdapter):
    kind = "telegram"
    settings_names = frozenset({"bot_token", "secret_token", "api_base", "mode", "poll_timeout"})
    secret_settings = frozenset({"bot_token", "secret_token"})
    inbound_secret_use = gettext_lazy(
        "Telegram sends it back with every update when no secret_token is set; “Set up at the "
        "platform” passes it to Telegram."
    )

    # --- configuration -------------------------------------------------------------------

    @property
    def api(self) -> PlatformHTTP:
        return PlatformHTTP("Telegram", self.config.setting("api_base") or API_BASE)

    @property
    def token(self) -> str:
        token = self.config.secret("bot_token")
        if not token:
            raise PermanentError(_("This Telegram channel has no bot_token."))
        return token

    @property
    def expected_secret(self) -> str:
        """What Telegram must send in the secret header: ``secret_token`` if set, else the
        channel's own secret (pass it as ``secret_token`` to setWebhook)."""
        return self.config.secret("secret_token") or self.config.secret("secret")

    @property
    def polling(self) -> bool:
        mode = self.config.setting("mode", "auto").strip().lower()
        if mode in ("polling", "webhook"):
            return mode == "polling"
        # Telegram only delivers webhooks to public HTTPS addresses.
        return not self.config.base_url.startswith("https://")

    def webhook_url(self) -> str:
        return f"{self.config.base_url}/api/v1/channels/telegram/{self.config.key}/webhook"

    # --- inbound -------------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        given = request.header(SECRET_HEADER)
        if not given:
            raise VerificationFailed(
                "Missing X-Telegram-Bot-Api-Secret-Token; set secret_token in setWebhook."
            )
        if not crypto.constant_time_equals(given, self.expected_secret):
            raise VerificationFailed("The Telegram secret token does not match.", status=403)

    def delivery_id(self, request: WebhookRequest) -> str:
        try:
            update = loads_untrusted(request.body)
            return f"update:{int(update['update_id'])}"
        except (ValueError, TypeError, KeyError, OverflowError):
            return super().delivery_id(request)

    def acknowledge(self, request: WebhookRequest, *, duplicate: bool) -> HandshakeResponse:
        # A button press waits for answerCallbackQuery; a webhook may answer it in the
        # response body, which saves a request.
        try:
            callback = loads_untrusted(request.body).get("callback_query")
        except (ValueError, AttributeError):
            callback = None
        if isinstance(callback, dict) and callback.get("id"):
            body = {"method": "answerCallbackQuery", "callback_query_id": str(callback["id"])}
            return HandshakeResponse(200, json.dumps(body), "application/json")
        return super().acknowledge(request, duplicate=duplicate)

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        try:
            update = loads_untrusted(request.body)
        except ValueError:
            raise InvalidPayload("The update is not JSON.") from None
        if not isinstance(update, dict) or "update_id" not in update:
            raise InvalidPayload("Not a Telegram update: update_id is missing.")
        return parse_update(update)

    def download(self, attachment: InboundAttachment) -> InboundAttachment:
        limit = attachment_limit(DOWNLOAD_LIMIT)
        info = self.call("getFile", {"file_id": attachment.remote_ref})
        size = int(info.get("file_size") or 0)
        if size > limit:
            raise PermanentError(_too_large(size) or too_large(limit, size))
        path = info.get("file_path")
        if not path:
            raise PermanentError(_("Telegram did not give a path for the file."))
        data, content_type = self.api.download(f"/file/bot{self.token}/{path}", limit=limit)
        return InboundAttachment(
            filename=attachment.filename,
            content_type=attachment.content_type or content_type,
            data=data,
            size=len(data),
        )

    # --- polling -------------------------------------------------------------------------

    def get_updates(self, *, offset: int, timeout: int) -> list[dict[str, Any]]:
        result = self.call(
            "getUpdates",
            {"offset": offset, "timeout": timeout, "limit": 100},
            timeout=timeout + 10,
        )
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    def delete_webhook(self) -> None:
        self.call("deleteWebhook", {"drop_pending_updates": False})

    def set_webhook(self) -> None:
        self.call(
            "setWebhook",
            {
                "url": self.webhook_url(),
                "secret_token": self.expected_secret,
                "allowed_updates": ["message", "edited_message", "callback_query"],
            },
        )

    def connect(self) -> str:
        me = self.call("getMe", {})
        name = f"@{me.get('username')}" if isinstance(me, dict) else "the bot"
        if self.polling:
            self.delete_webhook()
            return f"{name}: polling for updates (no webhook; the worker fetches them)."
        self.set_webhook()
        return f"{name}: webhook set to {self.webhook_url()}."

    def answer_callback(self, callback_query_id: str) -> None:
        self.call("answerCallbackQuery", {"callback_query_id": callback_query_id})

    # --- outbound ------------------------------------------------------------------------

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        chat_id = outbound.thread_key or (outbound.recipient.value if outbound.recipient else "")
        if not chat_id:
            raise PermanentError(_("This conversation has no Telegram chat to answer."))
        markup = inline_keyboard(outbound.metadata.get("buttons"))
        text = outbound.text.strip()
        caption = ""
        if outbound.attachments and len(text) <= CAPTION_LIMIT:
            caption, text = text, ""
        sent: list[dict[str, Any]] = []
        chunks = split_text(text) if text else []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1 and not outbound.attachments
            payload: dict[str, Any] = {"chat_id": chat_id, "text": chunk}
            if last and markup:
                payload["reply_markup"] = markup
            sent.append(self.call("sendMessage", payload))
        for index, attachment in enumerate(outbound.attachments):
            last = index == len(outbound.attachments) - 1
            sent.append(
                self._send_file(
                    chat_id,
                    attachment,
                    caption=caption if index == 0 else "",
                    markup=markup if last else None,
                )
            )
        first = sent[0] if sent else {}
        return DeliveryResult(external_id=f"{chat_id}:{first.get('message_id', '')}".rstrip(":"))

    def _send_file(
        self,
        chat_id: str,
        attachment: OutboundAttachment,
        *,
        caption: str,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        as_photo = attachment.content_type in PHOTO_TYPES and len(attachment.data) <= PHOTO_LIMIT
        method, field = ("sendPhoto", "photo") if as_photo else ("sendDocument", "document")
        data: dict[str, Any] = {"chat_id": chat_id}
        if caption:
            data["caption"] = caption
        if markup:
            data["reply_markup"] = json.dumps(markup)
        files = {field: (attachment.filename, attachment.data, attachment.content_type)}
        return dict(self.call(method, data, files=files))

    # --- the Bot API ---------------------------------------------------------------------

    def call(
        self,
        method: str,
        payload: dict[str, Any],
        *,
        files: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Call one Bot API method; returns ``result`` or raises a readable error."""
        kwargs: dict[str, Any] = {"data": payload, "files": files} if files else {"json": payload}
        if timeout is not None:
            kwargs["timeout"] = timeout
        response = self.api.request("POST", f"/bot{self.token}/{method}", **kwargs)
        return bot_api_result(response)


def bot_api_result(response: httpx.Response) -> Any:
    body = json_or_none(response)
    if isinstance(body, dict) and body.get("ok") is True:
        return body.get("result")
    if not isinstance(body, dict):
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(
                f"Telegram answered {response.status_code}.", retry_after=retry_after(response)
            )
        raise PermanentError(f"Telegram answered {response.status_code} without a result.")
    code = int(body.get("error_code") or response.status_code)
    description = str(body.get("description", ""))[:300]
    parameters = as_dict(body.get("parameters"))
    wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if code == 429 or wait:
        seconds = float(wait or retry_after(response) or 1)
        raise TransientError(
            f"Telegram asks to slow down (retry after {seconds:g} s).", retry_after=seconds
        )
    if code >= 500:
        raise TransientError(f"Telegram answered {code}: {description}")
    if code == 401:
        raise PermanentError(
            "Telegram rejected the bot token (401 Unauthorized); check the channel's bot_token."
        )
    if code == 404 and description.lower().startswith("not found"):
        raise PermanentError("Telegram does not know this bot token (404); check bot_token.")
    if code == 409:
        raise WebhookActive(f"Telegram refused: {description}")
    if code == 403:
        raise PermanentError(
            f"Telegram refused: {description} (the customer may have blocked the bot)."
        )
    raise PermanentError(f"Telegram refused the request ({code}): {description}")


# --- parsing updates (pure) -------------------------------------------------------------------


def parse_update(update: dict[str, Any]) -> list[InboundEvent]:
    if isinstance(update.get("message"), dict):
        return [parse_message(update["message"])]
    if isinstance(update.get("edited_message"), dict):
        edited = update["edited_message"]
        return [
            InboundEdit(message=parse_message(edited), edited_at=_when(edited.get("edit_date")))
        ]
    if isinstance(update.get("callback_query"), dict):
        return [parse_callback(update["callback_query"])]
    # Other updates (channel posts, membership changes, polls…) are not conversations.
    return []


def _chat_and_sender(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    chat = message.get("chat")
    if not isinstance(chat, dict) or "id" not in chat:
        raise InvalidPayload("The message has no chat.", fields={"message.chat": "required"})
    sender = message.get("from")
    if not isinstance(sender, dict) or "id" not in sender:
        # Anonymous group admins and channel posts have no user; the chat speaks.
        sender = {"id": chat["id"], "first_name": chat.get("title") or chat.get("first_name")}
    return str(chat["id"]), sender


def parse_message(message: dict[str, Any]) -> InboundMessage:
    chat_id, sender = _chat_and_sender(message)
    if "message_id" not in message:
        raise InvalidPayload("The message has no message_id.", fields={"message_id": "required"})
    message_id = message["message_id"]
    text = str(message.get("text") or message.get("caption") or "")
    attachments, description = _attachments(message)
    if not text and description:
        text = description
    reply_to = as_dict(message.get("reply_to_message"))
    return InboundMessage(
        external_id=f"{chat_id}:{message_id}",
        identity=IdentityRef("telegram", str(sender["id"])),
        name=_name(sender),
        text=text,
        thread_key=chat_id,
        sent_at=_when(message.get("date")),
        attachments=attachments,
        metadata={
            "telegram": {
                "chat_id": chat_id,
                "message_id": message_id,
                "username": sender.get("username", ""),
                "chat_type": as_dict(message.get("chat")).get("type", ""),
                "reply_to": reply_to.get("message_id") if isinstance(reply_to, dict) else None,
            }
        },
    )


def parse_callback(callback: dict[str, Any]) -> InboundMessage:
    sender = as_dict(callback.get("from"))
    if "id" not in sender or "id" not in callback:
        raise InvalidPayload("The button press has no sender.", fields={"from": "required"})
    origin = as_dict(callback.get("message"))
    chat_id = str(as_dict(origin.get("chat")).get("id") or sender["id"])
    data = str(callback.get("data") or "")
    label = _button_label(origin, data)
    return InboundMessage(
        external_id=f"callback:{callback['id']}",
        identity=IdentityRef("telegram", str(sender["id"])),
        name=_name(sender),
        text=label,
        thread_key=chat_id,
        metadata={
            "button": data,
            "telegram": {
                "chat_id": chat_id,
                "callback_query_id": str(callback["id"]),
                "message_id": origin.get("message_id"),
                "username": sender.get("username", ""),
            },
        },
    )


def _button_label(origin: dict[str, Any], data: str) -> str:
    """The text on the pressed button, which is what the customer saw and chose."""
    markup = as_dict(origin.get("reply_markup"))
    for row in as_list(markup.get("inline_keyboard")):
        for key in as_list(row):
            if isinstance(key, dict) and key.get("callback_data") == data:
                return str(key.get("text") or data)
    return data


def _too_large(size: int) -> str:
    limit = attachment_limit(DOWNLOAD_LIMIT)
    if size <= limit:
        return ""
    if limit == DOWNLOAD_LIMIT:
        return _(
            "the file is %(size)s; Telegram lets bots download files up to 20 MB, so ask "
            "the customer to send it another way"
        ) % {"size": megabytes(size)}
    return too_large(limit, size)


def _file(item: dict[str, Any], filename: str, content_type: str = "") -> InboundAttachment:
    size = as_int(item.get("file_size"))
    return InboundAttachment(
        filename=filename,
        content_type=content_type or str(item.get("mime_type") or ""),
        size=size,
        remote_ref=str(item.get("file_id") or ""),
        error=_too_large(size),
    )


def _attachments(message: dict[str, Any]) -> tuple[tuple[InboundAttachment, ...], str]:
    """The files of a message and a one-line description for messages without text."""
    mid = message.get("message_id")
    files: list[InboundAttachment] = []
    description = ""
    sizes = [p for p in as_list(message.get("photo")) if isinstance(p, dict)]
    if sizes:
        limit = attachment_limit(DOWNLOAD_LIMIT)
        fitting = [p for p in sizes if as_int(p.get("file_size")) <= limit] or sizes[:1]
        best = max(fitting, key=lambda p: as_int(p.get("width")) * as_int(p.get("height")))
        files.append(_file(best, f"photo_{mid}.jpg", "image/jpeg"))
        description = _("Photo")
    if isinstance(message.get("document"), dict):
        doc = message["document"]
        files.append(_file(doc, str(doc.get("file_name") or f"document_{mid}")))
        description = _("File: %(name)s") % {"name": files[-1].filename}
    if isinstance(message.get("voice"), dict):
        voice = message["voice"]
        files.append(_file(voice, f"voice_{mid}.ogg", str(voice.get("mime_type") or "audio/ogg")))
        description = _("Voice message (%(duration)s)") % {
            "duration": _duration(voice.get("duration"))
        }
    for kind, label in (
        ("audio", _("Audio")),
        ("video", _("Video")),
        ("video_note", _("Video message")),
        ("animation", _("Animation")),
    ):
        item = message.get(kind)
        if isinstance(item, dict) and not (kind == "animation" and message.get("document")):
            default = {"audio": "mp3", "video": "mp4", "video_note": "mp4", "animation": "mp4"}
            name = str(item.get("file_name") or f"{kind}_{mid}.{default[kind]}")
            files.append(_file(item, name))
            description = label
    if isinstance(message.get("sticker"), dict):
        sticker = message["sticker"]
        emoji = str(sticker.get("emoji") or "")
        description = (_("Sticker %(emoji)s") % {"emoji": emoji}).strip()
        animated = sticker.get("is_animated") or sticker.get("is_video")
        picture = (sticker.get("thumbnail") or sticker.get("thumb")) if animated else sticker
        if isinstance(picture, dict) and picture.get("file_id"):
            files.append(_file(picture, f"sticker_{mid}.webp", "image/webp"))
    if isinstance(message.get("location"), dict):
        loc = message["location"]
        description = _("Location: %(lat)s, %(lon)s") % {
            "lat": loc.get("latitude"),
            "lon": loc.get("longitude"),
        }
    if isinstance(message.get("contact"), dict):
        contact = message["contact"]
        description = _("Contact: %(name)s %(phone)s") % {
            "name": _name(contact),
            "phone": contact.get("phone_number", ""),
        }
    return tuple(files), description
