"""Facebook Messenger and Instagram Direct through Meta's Messenger Platform
(https://developers.facebook.com/docs/messenger-platform).

Both are one webhook shape (``entry[].messaging[]``) signed with ``X-Hub-Signature-256``,
subscribed with the verify-token handshake, and one Send API (``POST /<page>/messages``
with the page access token). A conversation is one person: ``thread_key`` and the
identity are their page-scoped id (PSID / IGSID).

Echoes: the platform sends back every message the page sends. Echoes of our own replies
are recognised (our app id, our metadata, or the stored message id) and dropped; messages
a colleague sent from Meta's own inbox are recorded as outgoing, never as the customer's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from unidesk.channels.base import (
    ChannelAdapter,
    DeliveryResult,
    DeliveryUpdate,
    HandshakeResponse,
    IdentityRef,
    InboundAttachment,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    OutboundAttachment,
    OutboundEcho,
    OutboundMessage,
    PermanentError,
    TransientError,
    WebhookRequest,
    as_dict,
    as_list,
)
from unidesk.channels.meta.graph import (
    GRAPH_BASE,
    GRAPH_VERSION,
    graph_result,
    verify_signature,
    verify_token_handshake,
)
from unidesk.channels.platform_http import PlatformHTTP, attachment_limit
from unidesk.channels.registry import register
from unidesk.core.inputs import loads_untrusted

# Marks messages unidesk sent, so their echoes are recognised (Messenger only).
ECHO_MARK = "unidesk:"
QUICK_REPLY_TITLE_LIMIT = 20
_FILE_TYPES = {"image": "image", "video": "video", "audio": "audio"}


def _when(milliseconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def quick_replies(buttons: Any) -> list[dict[str, str]]:
    flat = [b for row in buttons or [] for b in (row if isinstance(row, list) else [row])]
    return [
        {
            "content_type": "text",
            "title": str(b.get("text", ""))[:QUICK_REPLY_TITLE_LIMIT],
            "payload": str(b.get("data", b.get("text", "")))[:1000],
        }
        for b in flat
        if isinstance(b, dict) and not b.get("url")
    ][:13]


class MetaAdapter(ChannelAdapter):
    """What Messenger and Instagram Direct share; subclasses name the platform."""

    platform: ClassVar[str]
    webhook_object: ClassVar[str]
    # The setting naming the account whose inbox this channel is.
    own_id_setting: ClassVar[str]
    text_limit: ClassVar[int]
    profile_fields: ClassVar[str]
    secret_settings = frozenset({"page_access_token", "app_secret", "verify_token"})

    @property
    def api(self) -> PlatformHTTP:
        token = self.config.secret("page_access_token")
        if not token:
            raise PermanentError(
                _("This %(platform)s channel has no page_access_token.")
                % {"platform": self.platform}
            )
        base = self.config.setting("api_base") or GRAPH_BASE
        version = self.config.setting("api_version") or GRAPH_VERSION
        return PlatformHTTP(
            self.platform,
            f"{base.rstrip('/')}/{version}",
            headers={"Authorization": f"Bearer {token}"},
        )

    @property
    def own_id(self) -> str:
        return self.config.setting(self.own_id_setting)

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
        if not isinstance(payload, dict) or payload.get("object") != self.webhook_object:
            raise InvalidPayload(
                f"Not a {self.platform} webhook (object should be {self.webhook_object!r})."
            )
        events: list[InboundEvent] = []
        for entry in as_list(payload.get("entry")):
            if not isinstance(entry, dict):
                continue
            if self.own_id and str(entry.get("id", "")) != self.own_id:
                continue  # another page or account of the same app
            for item in as_list(entry.get("messaging")):
                if isinstance(item, dict):
                    events.extend(self._messaging(item))
        return events

    def _messaging(self, item: dict[str, Any]) -> list[InboundEvent]:
        sender = str(as_dict(item.get("sender")).get("id") or "")
        recipient = str(as_dict(item.get("recipient")).get("id") or "")
        sent_at = _when(item.get("timestamp"))
        message = item.get("message")
        if isinstance(message, dict):
            if message.get("is_echo"):
                return self._echo(message, recipient, sent_at)
            if message.get("is_deleted"):
                return []
            return [self._message(message, sender, sent_at)]
        if isinstance(item.get("postback"), dict):
            postback = item["postback"]
            return [
                InboundMessage(
                    external_id=str(
                        postback.get("mid") or f"postback:{sender}:{item.get('timestamp')}"
                    ),
                    identity=IdentityRef(self.kind, sender),
                    text=str(postback.get("title") or postback.get("payload") or ""),
                    thread_key=sender,
                    sent_at=sent_at,
                    metadata={"button": str(postback.get("payload") or "")},
                )
            ]
        if isinstance(item.get("message_edit"), dict):
            edit = item["message_edit"]
            new = InboundMessage(
                external_id=str(edit.get("mid") or ""),
                identity=IdentityRef(self.kind, sender),
                text=str(edit.get("text") or ""),
                thread_key=sender,
            )
            return [InboundEdit(message=new, edited_at=sent_at)] if new.external_id else []
        if isinstance(item.get("delivery"), dict):
            return [
                DeliveryUpdate(external_id=str(mid), status="delivered")
                for mid in as_list(item["delivery"].get("mids"))
            ]
        read = item.get("read")
        if isinstance(read, dict) and read.get("mid"):
            return [DeliveryUpdate(external_id=str(read["mid"]), status="read")]
        return []  # reactions, referrals, handover…

    def _message(
        self, message: dict[str, Any], sender: str, sent_at: datetime | None
    ) -> InboundMessage:
        if not message.get("mid") or not sender:
            raise InvalidPayload(
                f"A {self.platform} message has no mid or sender.", fields={"mid": "required"}
            )
        attachments, description = _attachments(as_list(message.get("attachments")))
        metadata: dict[str, Any] = {}
        quick = message.get("quick_reply")
        if isinstance(quick, dict) and quick.get("payload"):
            metadata["button"] = str(quick["payload"])
        if message.get("is_unsupported"):
            description = _("(a message of a kind %(platform)s does not share with apps)") % {
                "platform": self.platform
            }
        reply_to = message.get("reply_to")
        if isinstance(reply_to, dict) and reply_to.get("mid"):
            metadata["reply_to"] = str(reply_to["mid"])
        return InboundMessage(
            external_id=str(message["mid"]),
            identity=IdentityRef(self.kind, sender),
            text=str(message.get("text") or "") or description,
            thread_key=sender,
            sent_at=sent_at,
            attachments=attachments,
            metadata=metadata,
        )

    def _echo(
        self, message: dict[str, Any], recipient: str, sent_at: datetime | None
    ) -> list[InboundEvent]:
        app_id = self.config.setting("app_id")
        ours = str(message.get("metadata") or "").startswith(ECHO_MARK) or (
            app_id and str(message.get("app_id") or "") == app_id
        )
        if ours or not message.get("mid") or not recipient:
            return []
        attachments, description = _attachments(as_list(message.get("attachments")))
        return [
            OutboundEcho(
                external_id=str(message["mid"]),
                recipient=IdentityRef(self.kind, recipient),
                text=str(message.get("text") or "") or description,
                thread_key=recipient,
                sent_at=sent_at,
                attachments=attachments,
                author_name=_("%(platform)s inbox") % {"platform": self.platform},
            )
        ]

    def fetch(self, inbound: InboundMessage) -> InboundMessage:
        fetched = super().fetch(inbound)
        if fetched.name:
            return fetched
        try:
            profile = graph_result(
                self.api.request(
                    "GET", f"/{fetched.identity.value}", params={"fields": self.profile_fields}
                ),
                platform=self.platform,
            )
        except (PermanentError, TransientError):
            return fetched  # the name is a nicety; the message matters
        name = str(
            profile.get("name")
            or f"{profile.get('first_name', '')} {profile.get('last_name', '')}".strip()
            or profile.get("username")
            or ""
        )
        return replace(fetched, name=name)

    def download(self, attachment: InboundAttachment) -> InboundAttachment:
        # Attachment URLs are signed CDN links; they need no token.
        data, content_type = PlatformHTTP(self.platform, "").download(
            attachment.remote_ref, limit=attachment_limit()
        )
        return InboundAttachment(
            filename=attachment.filename,
            content_type=attachment.content_type or content_type,
            data=data,
            size=len(data),
        )

    # --- outbound ------------------------------------------------------------------------

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        recipient = outbound.recipient.value if outbound.recipient else outbound.thread_key
        if not recipient:
            raise PermanentError(_("This conversation has no recipient."))
        self.check_files(outbound.attachments)
        api = self.api
        sender_id = self.config.setting("page_id") or "me"
        ids: list[str] = []
        text = outbound.text.strip()
        chunks = [text[i : i + self.text_limit] for i in range(0, len(text), self.text_limit)]
        for index, chunk in enumerate(chunks):
            message: dict[str, Any] = {"text": chunk}
            self.mark(message, outbound)
            if index == len(chunks) - 1 and outbound.metadata.get("buttons"):
                message["quick_replies"] = quick_replies(outbound.metadata["buttons"])
            body = {
                "recipient": {"id": recipient},
                "messaging_type": "RESPONSE",
                "message": message,
            }
            ids.append(self._post(api, sender_id, json=body))
        for attachment in outbound.attachments:
            ids.append(self.send_file(api, sender_id, recipient, attachment, outbound))
        if not ids:
            raise PermanentError(_("The reply is empty."))
        return DeliveryResult(external_id=ids[0])

    def mark(self, message: dict[str, Any], outbound: OutboundMessage) -> None:
        """Tag a message so its echo is recognised as ours."""

    def check_files(self, attachments: tuple[OutboundAttachment, ...]) -> None:
        """Refuse, before anything is sent, files the platform cannot take."""

    def send_file(
        self,
        api: PlatformHTTP,
        sender_id: str,
        recipient: str,
        attachment: OutboundAttachment,
        outbound: OutboundMessage,
    ) -> str:
        raise PermanentError(_("Files cannot be sent through this channel."))

    def _post(self, api: PlatformHTTP, sender_id: str, **kwargs: Any) -> str:
        result = graph_result(
            api.request("POST", f"/{sender_id}/messages", **kwargs), platform=self.platform
        )
        return str(result.get("message_id") or "")


@register
class FacebookAdapter(MetaAdapter):
    kind = "facebook"
    platform = "Facebook Messenger"
    webhook_object = "page"
    own_id_setting = "page_id"
    text_limit = 2000
    profile_fields = "first_name,last_name"
    settings_names = frozenset(
        {"page_access_token", "app_secret", "app_id", "verify_token", "page_id", "api_base",
         "api_version"}
    )  # fmt: skip

    def mark(self, message: dict[str, Any], outbound: OutboundMessage) -> None:
        message["metadata"] = f"{ECHO_MARK}{outbound.idempotency_key}"

    def send_file(
        self,
        api: PlatformHTTP,
        sender_id: str,
        recipient: str,
        attachment: OutboundAttachment,
        outbound: OutboundMessage,
    ) -> str:
        kind = _FILE_TYPES.get(attachment.content_type.split("/", 1)[0], "file")
        if (
            attachment.content_type not in ("image/jpeg", "image/png", "image/gif")
            and kind == "image"
        ):
            kind = "file"
        message = {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
        self.mark(message, outbound)
        return self._post(
            api,
            sender_id,
            data={
                "recipient": json.dumps({"id": recipient}),
                "messaging_type": "RESPONSE",
                "message": json.dumps(message),
            },
            files={"filedata": (attachment.filename, attachment.data, attachment.content_type)},
        )


@register
class InstagramAdapter(MetaAdapter):
    kind = "instagram"
    platform = "Instagram"
    webhook_object = "instagram"
    own_id_setting = "ig_account_id"
    text_limit = 1000
    profile_fields = "name,username"
    settings_names = frozenset(
        {"page_access_token", "app_secret", "app_id", "verify_token", "page_id",
         "ig_account_id", "api_base", "api_version"}
    )  # fmt: skip

    def check_files(self, attachments: tuple[OutboundAttachment, ...]) -> None:
        if attachments:
            raise PermanentError(
                _(
                    "Instagram accepts files only as a public link, so this reply was not "
                    "sent; remove %(name)s or share it another way."
                )
                % {"name": attachments[0].filename}
            )


def _attachments(items: list[Any]) -> tuple[tuple[InboundAttachment, ...], str]:
    files: list[InboundAttachment] = []
    notes: list[str] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type") or "")
        payload = as_dict(item.get("payload"))
        url = str(payload.get("url") or "") if isinstance(payload, dict) else ""
        if kind in ("image", "video", "audio", "file") and url:
            if isinstance(payload, dict) and payload.get("sticker_id"):
                notes.append(_("Sticker"))
            name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or f"{kind}_{index}"
            files.append(InboundAttachment(filename=name, remote_ref=url))
            notes.append(
                {"image": _("Photo"), "video": _("Video"), "audio": _("Audio")}.get(
                    kind, _("File: %(name)s") % {"name": name}
                )
            )
        elif kind in ("share", "ig_reel", "reel", "story_mention") and url:
            notes.append(_("Shared: %(url)s") % {"url": url})
        elif kind == "fallback" and url:
            notes.append(url)
        elif kind == "location":
            notes.append(_("Location"))
    # A sticker arrives as an image; say so once.
    unique: list[str] = []
    for note in notes:
        if note not in unique:
            unique.append(note)
    return tuple(files), "\n".join(unique)
