"""VK communities through the Callback API and the VK API
(https://dev.vk.com/ru/api/callback/getting-started, https://dev.vk.com/ru/method).

Inbound: VK POSTs every event with the community's ``secret`` in the body; a
``confirmation`` event is answered at once with the confirmation string, every other
event with ``ok`` after it is stored (under VK's ``event_id``).

* ``message_new``: private messages to the community. A conversation is a dialog
  (``thread_key`` = peer id).
* ``wall_reply_new``: comments under the community's posts, as **public** tickets, one per
  post and commenter (``thread_key`` = ``wall:<owner>_<post>:<user>``). Answers are posted
  as replies to the customer's latest comment with ``wall.createComment``.
* ``message_reply`` / the community's own comments: echoes of what the community sent
  from VK itself, recorded as outgoing.

Outbound private messages use ``messages.send`` with ``random_id`` derived from the
delivery's idempotency key, so VK drops a repeated send.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
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
    OutboundEcho,
    OutboundMessage,
    PermanentError,
    TransientError,
    VerificationFailed,
    WebhookRequest,
    as_dict,
    as_int,
    as_list,
)
from unidesk.channels.platform_http import PlatformHTTP, attachment_limit, json_or_none
from unidesk.channels.registry import register
from unidesk.core import crypto
from unidesk.core.inputs import loads_untrusted

API_BASE = "https://api.vk.com"
API_VERSION = "5.199"
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
# https://dev.vk.com/ru/reference/errors
_TRANSIENT = frozenset({1, 6, 9, 10, 29})
_TOKEN = frozenset({5, 27, 28})


def _when(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def random_id(idempotency_key: str) -> int:
    """VK's per-message deduplication id: a positive int32 derived from our key."""
    try:
        value = uuid.UUID(idempotency_key).int
    except ValueError:
        value = int(crypto.sha256_hex(idempotency_key), 16)
    return value % 2_147_483_647 or 1


def wall_thread(owner_id: Any, post_id: Any, user_id: Any) -> str:
    return f"wall:{owner_id}_{post_id}:{user_id}"


def comment_id(owner_id: Any, post_id: Any, comment: Any) -> str:
    return f"comment:{owner_id}_{post_id}_{comment}"


def keyboard(buttons: Any) -> str:
    """Buttons as an inline VK keyboard (rows of text and link buttons)."""
    rows = []
    for row in buttons or []:
        keys = []
        for button in row if isinstance(row, list) else [row]:
            label = str(button.get("text", ""))[:40]
            if button.get("url"):
                action = {"type": "open_link", "link": str(button["url"]), "label": label}
            else:
                payload = json.dumps({"button": str(button.get("data", label))})
                action = {"type": "text", "label": label, "payload": payload}
            keys.append({"action": action})
        if keys:
            rows.append(keys[:5])
    return json.dumps({"inline": True, "buttons": rows[:6]}, ensure_ascii=False)


@register
class VkAdapter(ChannelAdapter):
    kind = "vk"
    settings_names = frozenset(
        {"access_token", "group_id", "secret", "confirmation", "api_base", "api_version"}
    )
    secret_settings = frozenset({"access_token"})
    inbound_secret_use = gettext_lazy(
        "Enter it as the secret key in the community’s Callback API settings."
    )
    can_continue_privately = True

    @property
    def api(self) -> PlatformHTTP:
        return PlatformHTTP("VK", self.config.setting("api_base") or API_BASE)

    @property
    def group_id(self) -> str:
        return self.config.setting("group_id").lstrip("-")

    # --- inbound -------------------------------------------------------------------------

    def _event(self, request: WebhookRequest) -> dict[str, Any]:
        try:
            event = loads_untrusted(request.body)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "type" not in event:
            raise VerificationFailed("Not a VK Callback API request.")
        return event

    def verify(self, request: WebhookRequest) -> None:
        event = self._event(request)
        group = str(event.get("group_id", ""))
        if self.group_id and group != self.group_id:
            raise VerificationFailed("This callback is for another community.", status=403)
        given = event.get("secret")
        if given is None and event["type"] == "confirmation":
            return  # VK may confirm the address before a secret is set up
        if not isinstance(given, str) or not given:
            raise VerificationFailed("The callback has no secret; set it in the community.")
        if not crypto.constant_time_equals(given, self.config.secret("secret")):
            raise VerificationFailed("The VK secret does not match.", status=403)

    def answer_now(self, request: WebhookRequest) -> HandshakeResponse | None:
        if self._event(request).get("type") != "confirmation":
            return None
        answer = self.config.setting("confirmation")
        if not answer:
            return HandshakeResponse(
                400, "Set the channel's confirmation setting to the string VK shows."
            )
        return HandshakeResponse(200, answer)

    def acknowledge(self, request: WebhookRequest, *, duplicate: bool) -> HandshakeResponse:
        return HandshakeResponse(200, "ok")  # anything else makes VK deliver again

    def delivery_id(self, request: WebhookRequest) -> str:
        try:
            event_id = loads_untrusted(request.body).get("event_id")
        except (ValueError, AttributeError):
            event_id = None
        return f"event:{event_id}" if event_id else super().delivery_id(request)

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        try:
            event = loads_untrusted(request.body)
        except ValueError:
            raise InvalidPayload("The callback is not JSON.") from None
        if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
            raise InvalidPayload("A VK callback needs type and object.")
        return parse_event(event, group_id=self.group_id)

    def fetch(self, inbound: InboundMessage) -> InboundMessage:
        fetched = super().fetch(inbound)
        if fetched.name or not fetched.identity.value.isdigit():
            return fetched
        try:
            users = self.call("users.get", {"user_ids": fetched.identity.value})
        except (PermanentError, TransientError):
            return fetched  # a name is nice to have, never worth losing the message
        if isinstance(users, list) and users and isinstance(users[0], dict):
            person = users[0]
            name = f"{person.get('first_name', '')} {person.get('last_name', '')}".strip()
            return replace(fetched, name=name)
        return fetched

    def download(self, attachment: InboundAttachment) -> InboundAttachment:
        data, content_type = self.api.download(attachment.remote_ref, limit=attachment_limit())
        return InboundAttachment(
            filename=attachment.filename,
            content_type=attachment.content_type or content_type,
            data=data,
            size=len(data),
        )

    # --- outbound ------------------------------------------------------------------------

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        if outbound.thread_key.startswith("wall:"):
            return self._comment(outbound)
        peer = outbound.thread_key or (outbound.recipient.value if outbound.recipient else "")
        if not peer:
            raise PermanentError(_("This conversation has no VK dialog to answer."))
        params: dict[str, Any] = {
            "peer_id": peer,
            "random_id": random_id(outbound.idempotency_key),
            "message": outbound.text,
        }
        attachments = [self._upload(peer, a) for a in outbound.attachments]
        if attachments:
            params["attachment"] = ",".join(attachments)
        if outbound.metadata.get("buttons"):
            params["keyboard"] = keyboard(outbound.metadata["buttons"])
        result = self.call("messages.send", params)
        return DeliveryResult(external_id=f"msg:{result}")

    def _comment(self, outbound: OutboundMessage) -> DeliveryResult:
        post, _sep, _user = outbound.thread_key.removeprefix("wall:").partition(":")
        owner_id, _sep, post_id = post.partition("_")
        if not (owner_id and post_id):
            raise PermanentError(_("This conversation does not point at a VK post."))
        if outbound.attachments:
            raise PermanentError(
                _(
                    "Files cannot be attached to a public VK comment; continue in private "
                    "messages to send them."
                )
            )
        params: dict[str, Any] = {
            "owner_id": owner_id,
            "post_id": post_id,
            "message": outbound.text,
            "guid": outbound.idempotency_key,
        }
        if self.group_id:
            params["from_group"] = self.group_id
        prefix = f"comment:{owner_id}_{post_id}_"
        if outbound.in_reply_to.startswith(prefix):
            params["reply_to_comment"] = outbound.in_reply_to.removeprefix(prefix)
        result = self.call("wall.createComment", params)
        new_id = result.get("comment_id") if isinstance(result, dict) else None
        return DeliveryResult(external_id=comment_id(owner_id, post_id, new_id))

    def _upload(self, peer: str, attachment: OutboundAttachment) -> str:
        if attachment.content_type in PHOTO_TYPES:
            server = self.call("photos.getMessagesUploadServer", {"peer_id": peer})
            uploaded = self._post_file(server, "photo", attachment)
            saved = self.call("photos.saveMessagesPhoto", {
                "server": uploaded.get("server"), "photo": uploaded.get("photo"),
                "hash": uploaded.get("hash"),
            })  # fmt: skip
            photo = saved[0] if isinstance(saved, list) and saved else {}
            return f"photo{photo.get('owner_id')}_{photo.get('id')}"
        server = self.call("docs.getMessagesUploadServer", {"peer_id": peer, "type": "doc"})
        uploaded = self._post_file(server, "file", attachment)
        saved = self.call("docs.save", {"file": uploaded.get("file"), "title": attachment.filename})
        doc = saved.get("doc", {}) if isinstance(saved, dict) else {}
        return f"doc{doc.get('owner_id')}_{doc.get('id')}"

    def _post_file(self, server: Any, field: str, attachment: OutboundAttachment) -> dict[str, Any]:
        url = server.get("upload_url") if isinstance(server, dict) else None
        if not url:
            raise PermanentError(_("VK did not give an upload address."))
        response = self.api.request(
            "POST",
            str(url),
            files={field: (attachment.filename, attachment.data, attachment.content_type)},
        )
        body = json_or_none(response)
        if response.status_code >= 500:
            raise TransientError(f"VK answered {response.status_code} to a file upload.")
        if not isinstance(body, dict) or body.get("error"):
            raise PermanentError(
                _("VK did not accept the file %(name)s.") % {"name": attachment.filename}
            )
        return body

    # --- the VK API ----------------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any]) -> Any:
        token = self.config.secret("access_token")
        if not token:
            raise PermanentError(_("This VK channel has no access_token."))
        data = {
            **{k: str(v) for k, v in params.items() if v is not None},
            "access_token": token,
            "v": self.config.setting("api_version") or API_VERSION,
        }
        return vk_result(self.api.request("POST", f"/method/{method}", data=data))


def vk_result(response: httpx.Response) -> Any:
    body = json_or_none(response)
    if isinstance(body, dict) and "response" in body:
        return body["response"]
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"VK answered {response.status_code}.")
        raise PermanentError(f"VK answered {response.status_code} without a result.")
    error = body["error"]
    code = int(error.get("error_code") or 0)
    # Only the message: request_params echoes what we sent.
    message = str(error.get("error_msg") or "")[:300]
    if code in _TRANSIENT:
        raise TransientError(f"VK is busy (error {code}): {message}")
    if code in _TOKEN:
        raise PermanentError(
            f"VK rejected the access token (error {code}): {message} Create a new community "
            "token and update the channel settings."
        )
    if code == 901:
        raise PermanentError(
            "VK: the customer has not allowed messages from the community (error 901)."
        )
    raise PermanentError(f"VK refused the request (error {code}): {message}")


# --- parsing events (pure) --------------------------------------------------------------------


def parse_event(event: dict[str, Any], *, group_id: str) -> list[InboundEvent]:
    kind = event.get("type")
    obj = event["object"]
    if kind == "message_new":
        return [_private_message(_message_of(obj))]
    if kind == "message_edit":
        message = _message_of(obj)
        if str(message.get("from_id")) == str(message.get("peer_id")):
            return [InboundEdit(message=_private_message(message), edited_at=None)]
        return []
    if kind == "message_reply":
        return [_private_echo(_message_of(obj))]
    if kind in ("wall_reply_new", "wall_reply_edit"):
        parsed = _comment(obj, group_id=group_id)
        if parsed is None:
            return []
        if kind == "wall_reply_edit" and isinstance(parsed, InboundMessage):
            return [InboundEdit(message=parsed, edited_at=None)]
        return [parsed]
    return []  # joins, likes, typing… are not conversations


def _message_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The message of a message event (API 5.103+ nests it; older versions do not)."""
    return as_dict(obj.get("message", obj))


def _private_external_id(message: dict[str, Any]) -> str:
    if message.get("id"):
        return f"msg:{message['id']}"
    if message.get("conversation_message_id") and message.get("peer_id"):
        return f"conv:{message['peer_id']}:{message['conversation_message_id']}"
    raise InvalidPayload("A VK message has no id.", fields={"message.id": "required"})


def _private_message(message: dict[str, Any]) -> InboundMessage:
    if not message.get("from_id") or not message.get("peer_id"):
        raise InvalidPayload("A VK message has no sender.", fields={"message.from_id": "required"})
    attachments, description = _attachments(as_list(message.get("attachments")))
    metadata: dict[str, Any] = {"vk": {"peer_id": message["peer_id"]}}
    button = _button(message.get("payload"))
    if button:
        metadata["button"] = button
    return InboundMessage(
        external_id=_private_external_id(message),
        identity=IdentityRef("vk", str(message["from_id"])),
        text=str(message.get("text") or "") or description,
        thread_key=str(message["peer_id"]),
        sent_at=_when(message.get("date")),
        attachments=attachments,
        metadata=metadata,
    )


def _private_echo(message: dict[str, Any]) -> OutboundEcho:
    if not message.get("peer_id"):
        raise InvalidPayload("A VK message has no peer.", fields={"message.peer_id": "required"})
    attachments, description = _attachments(as_list(message.get("attachments")))
    return OutboundEcho(
        external_id=_private_external_id(message),
        recipient=IdentityRef("vk", str(message["peer_id"])),
        text=str(message.get("text") or "") or description,
        thread_key=str(message["peer_id"]),
        sent_at=_when(message.get("date")),
        attachments=attachments,
    )


def _button(payload: Any) -> str:
    if not payload:
        return ""
    try:
        data = loads_untrusted(payload) if isinstance(payload, str) else payload
    except ValueError:
        return str(payload)
    if isinstance(data, dict):
        return str(data.get("button") or data.get("command") or json.dumps(data))
    return str(data)


def _comment(obj: dict[str, Any], *, group_id: str) -> InboundMessage | OutboundEcho | None:
    for name in ("id", "from_id", "post_id", "owner_id"):
        if name not in obj:
            raise InvalidPayload(
                f"A VK comment has no {name}.", fields={f"object.{name}": "required"}
            )
    owner, post, author = obj["owner_id"], obj["post_id"], as_int(obj["from_id"])
    if not author:
        raise InvalidPayload("A VK comment has no author.", fields={"object.from_id": "invalid"})
    attachments, description = _attachments(as_list(obj.get("attachments")))
    text = str(obj.get("text") or "") or description
    metadata = {
        "vk": {
            "owner_id": owner,
            "post_id": post,
            "comment_id": obj["id"],
            "post_url": f"https://vk.com/wall{owner}_{post}",
        }
    }
    if author < 0:
        # The community itself commented (from VK's own interface): an echo when it
        # answers someone, otherwise nothing to do.
        customer = obj.get("reply_to_user")
        if str(-author) != group_id or not customer:
            return None
        return OutboundEcho(
            external_id=comment_id(owner, post, obj["id"]),
            recipient=IdentityRef("vk", str(customer)),
            text=text,
            thread_key=wall_thread(owner, post, customer),
            sent_at=_when(obj.get("date")),
            attachments=attachments,
            is_public=True,
            metadata=metadata,
        )
    return InboundMessage(
        external_id=comment_id(owner, post, obj["id"]),
        identity=IdentityRef("vk", str(author)),
        text=text,
        thread_key=wall_thread(owner, post, author),
        sent_at=_when(obj.get("date")),
        attachments=attachments,
        is_public=True,
        metadata=metadata,
    )


def _largest(items: list[dict[str, Any]]) -> dict[str, Any]:
    return max(items, key=lambda s: as_int(s.get("width")) * as_int(s.get("height")))


def _attachments(items: list[Any]) -> tuple[tuple[InboundAttachment, ...], str]:
    files: list[InboundAttachment] = []
    notes: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        body = item.get(kind) if isinstance(kind, str) else None
        if not isinstance(body, dict):
            continue
        sizes = [s for s in as_list(body.get("sizes")) if isinstance(s, dict)]
        if kind == "photo" and sizes:
            best = _largest(sizes)
            files.append(
                InboundAttachment(
                    filename=f"photo_{body.get('id', '')}.jpg",
                    content_type="image/jpeg",
                    remote_ref=str(best.get("url") or ""),
                )
            )
            notes.append(_("Photo"))
        elif kind == "doc" and body.get("url"):
            title = str(body.get("title") or f"doc_{body.get('id', '')}")
            ext = str(body.get("ext") or "")
            name = (
                title if not ext or title.lower().endswith(f".{ext.lower()}") else f"{title}.{ext}"
            )
            size = as_int(body.get("size"))
            limit = attachment_limit()
            files.append(
                InboundAttachment(
                    filename=name,
                    size=size,
                    remote_ref=str(body["url"]),
                    error=_("the file is over the attachment limit") if size > limit else "",
                )
            )
            notes.append(_("File: %(name)s") % {"name": name})
        elif kind == "audio_message":
            link = body.get("link_ogg") or body.get("link_mp3")
            if link:
                ogg = bool(body.get("link_ogg"))
                files.append(
                    InboundAttachment(
                        filename=f"voice_{body.get('id', '')}.{'ogg' if ogg else 'mp3'}",
                        content_type="audio/ogg" if ogg else "audio/mpeg",
                        remote_ref=str(link),
                    )
                )
            notes.append(_("Voice message"))
        elif kind == "sticker" and body.get("images"):
            best = _largest([s for s in body["images"] if isinstance(s, dict)])
            files.append(
                InboundAttachment(
                    filename=f"sticker_{body.get('sticker_id', '')}.png",
                    content_type="image/png",
                    remote_ref=str(best.get("url") or ""),
                )
            )
            notes.append(_("Sticker"))
        elif kind == "video":
            notes.append(
                _("Video: %(url)s")
                % {"url": f"https://vk.com/video{body.get('owner_id')}_{body.get('id')}"}
            )
        elif kind == "link" and body.get("url"):
            notes.append(str(body["url"]))
        elif kind == "wall":
            owner = body.get("owner_id", body.get("from_id"))
            notes.append(
                _("Post: %(url)s") % {"url": f"https://vk.com/wall{owner}_{body.get('id')}"}
            )
    return tuple(f for f in files if f.remote_ref or f.error), "\n".join(notes)
