"""Reads for the widget: a visitor's conversation as the visitor may see it.

Only what the customer was part of leaves here: their messages and the replies sent to
them. Internal notes, system entries and replies still waiting in the outbox never do.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.db.models import Max, Prefetch, QuerySet
from django.urls import reverse

from unidesk.channels.models import ChannelAccount
from unidesk.channels.webchat.models import Visitor
from unidesk.channels.webchat.payloads import reply_payload
from unidesk.core.errors import NotFound
from unidesk.tickets.models import Attachment, DeliveryStatus, Direction, Message, Ticket

HISTORY_LIMIT = 100
FILE_LINK_MAX_AGE = 7 * 24 * 3600
_FILE_SALT = "unidesk.webchat.file"
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def channel_for_widget(key: str) -> ChannelAccount:
    """The active web chat channel behind a widget key; NotFound otherwise."""
    account = ChannelAccount.objects.filter(kind="webchat", key=key[:64], is_active=True).first()
    if account is None:
        raise NotFound("No such chat.")
    return account


def conversation_messages(
    channel_id: int, thread_key: str, *, include_queued: bool = False
) -> QuerySet[Message]:
    """The visitor's messages and the replies to them. Replies still waiting in the
    outbox are left out unless ``include_queued`` (the outbox is pushing that one now)."""
    messages = Message.objects.filter(
        ticket__channel_account_id=channel_id,
        ticket__thread_key=thread_key[:255],
        direction__in=[Direction.IN, Direction.OUT],
    )
    if not include_queued:
        messages = messages.exclude(direction=Direction.OUT, delivery_status=DeliveryStatus.QUEUED)
    return messages.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )


def history(
    channel_id: int, thread_key: str, *, after: int = 0, limit: int = HISTORY_LIMIT
) -> list[Message]:
    """The newest ``limit`` messages after ``after`` (a message id), oldest first."""
    qs = conversation_messages(channel_id, thread_key)
    if after > 0:
        qs = qs.filter(pk__gt=after)
    return list(reversed(qs.order_by("-id")[:limit]))


def conversation_message(channel_id: int, thread_key: str, message_id: int) -> Message | None:
    """One message of the conversation, as pushed to the visitor: the outbox pushes a
    reply before it records it sent, so a queued one is included."""
    return (
        conversation_messages(channel_id, thread_key, include_queued=True)
        .filter(pk=message_id)
        .first()
    )


def current_ticket_id(channel_id: int, thread_key: str) -> int | None:
    """The conversation's newest ticket (where the visitor's next message goes)."""
    return (
        Ticket.objects.filter(channel_account_id=channel_id, thread_key=thread_key[:255])
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
    )


def read_by_agents_until(channel_id: int, thread_key: str) -> int:
    found = Visitor.objects.filter(channel_id=channel_id, thread_key=thread_key).aggregate(
        top=Max("agent_read_until")
    )["top"]
    return int(found or 0)


def visitor_of_ticket(ticket: Ticket) -> Visitor | None:
    """The newest visitor row of a web chat ticket's conversation (for the agent)."""
    if ticket.channel != "webchat" or not ticket.thread_key:
        return None
    return (
        Visitor.objects.filter(channel_id=ticket.channel_account_id, thread_key=ticket.thread_key)
        .order_by("-last_seen_at")
        .first()
    )


def file_link(channel_key: str, attachment_id: int) -> str:
    token = signing.TimestampSigner(salt=_FILE_SALT).sign(str(attachment_id))
    return reverse("webchat:file", kwargs={"key": channel_key, "token": token})


def attachment_for_link(token: str) -> Attachment:
    try:
        value = signing.TimestampSigner(salt=_FILE_SALT).unsign(token, max_age=FILE_LINK_MAX_AGE)
    except signing.BadSignature:
        raise NotFound("This link is not valid (any more).") from None
    attachment = Attachment.objects.select_related("message__ticket").filter(pk=int(value)).first()
    if attachment is None or not attachment.is_kept:
        raise NotFound("This file is not available.")
    return attachment


def message_payload(
    message: Message, *, channel_key: str, public_id: str, with_files: bool = True
) -> dict[str, Any]:
    """One message as the widget shows it (``with_files=False`` for one known to have
    none, sparing the query)."""
    metadata = message.metadata or {}
    if message.direction == Direction.OUT:
        payload = reply_payload(
            message_id=message.pk,
            text=message.text,
            created_at=message.created_at,
            origin=message.origin,
            author=message.author_name,
            status=message.delivery_status,
            metadata=metadata,
        )
    else:
        payload = {
            "id": message.pk,
            "dir": message.direction,
            "text": message.text,
            "at": message.created_at.isoformat(),
            "origin": message.origin,
        }
        own_prefix = f"{public_id}:"
        if message.external_id.startswith(own_prefix):
            payload["client_id"] = message.external_id[len(own_prefix) :]
    if metadata.get("button") is not None:
        payload["button"] = str(metadata["button"])[:200]
    attachments = message.attachments.all() if with_files else []
    files = [
        {
            "name": a.filename,
            "size": a.size,
            "type": a.content_type,
            "image": a.content_type in IMAGE_TYPES,
            "url": file_link(channel_key, a.pk),
        }
        for a in attachments
        if a.is_kept
    ]
    if files:
        payload["files"] = files
    return payload
