"""Facts about tickets and messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from unidesk.core.actor import Actor
from unidesk.core.events import Event


@dataclass(frozen=True)
class TicketCreated(Event):
    """``channel`` is the kind of inbox the conversation came through ("email", "telegram"…,
    empty for tickets opened by hand), with its inbox, group and whether it is public:
    subscribers that care about some conversations only decide without reading the ticket."""

    name: ClassVar[str] = "ticket.created"
    ticket_id: int
    actor: Actor
    channel: str = ""
    channel_account_id: int | None = None
    group_id: int | None = None
    is_public: bool = False


@dataclass(frozen=True)
class TicketUpdated(Event):
    """``changes`` maps a field name to ``[old, new]`` as shown to people."""

    name: ClassVar[str] = "ticket.updated"
    ticket_id: int
    actor: Actor
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MessageReceived(Event):
    """``channel_account_id``: the inbox of the conversation, for subscribers that care
    about some inboxes only (a channel's bot) and decide without reading the ticket."""

    name: ClassVar[str] = "message.received"
    message_id: int
    ticket_id: int
    actor: Actor
    channel_account_id: int | None = None


@dataclass(frozen=True)
class ReplyQueued(Event):
    name: ClassVar[str] = "message.reply_queued"
    message_id: int
    ticket_id: int
    actor: Actor


@dataclass(frozen=True)
class NoteAdded(Event):
    name: ClassVar[str] = "message.note_added"
    message_id: int
    ticket_id: int
    actor: Actor


@dataclass(frozen=True)
class DeliveryChanged(Event):
    name: ClassVar[str] = "message.delivery_changed"
    message_id: int
    ticket_id: int
    status: str
    error: str = ""


@dataclass(frozen=True)
class CustomersMerged(Event):
    name: ClassVar[str] = "customer.merged"
    source_id: int
    target_id: int
    actor: Actor


@dataclass(frozen=True)
class MessageEdited(Event):
    """A customer changed a message they had sent; the earlier version is kept."""

    name: ClassVar[str] = "message.edited"
    message_id: int
    ticket_id: int
    actor: Actor


@dataclass(frozen=True)
class OutboundRecorded(Event):
    """A message our side sent outside unidesk (from the platform's own app) was recorded."""

    name: ClassVar[str] = "message.outbound_recorded"
    message_id: int
    ticket_id: int
    actor: Actor
