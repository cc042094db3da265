"""The live workspace's side of the events: every change to a ticket, on any channel, is
told to agents' open workspaces as it commits.

Subscribers (listed in ``unidesk.wiring``) turn events into one small fact per change —
which ticket, where it belongs now (group, assignee, status), what happened — and push it
to the desk group of the channel layer. Each agent's connection (``consumers``) passes on
only what that agent may see; the pages then fetch what changed over HTTP, through the
same permission-checked views as always. So a push never carries more than a preview,
and a lost push costs a stale screen until the next one, never data.
"""

from __future__ import annotations

from typing import Any

from unidesk.channels.events import DeliveryGaveUp
from unidesk.core import realtime
from unidesk.core.events import Event
from unidesk.core.text import one_line
from unidesk.tickets.events import (
    DeliveryChanged,
    MessageEdited,
    MessageReceived,
    NoteAdded,
    OutboundRecorded,
    ReplyQueued,
    TicketCreated,
    TicketUpdated,
)
from unidesk.tickets.models import Direction, Message, Ticket

PREVIEW_CHARS = 140

# Event class → what the workspace calls the change.
KINDS: dict[type[Event], str] = {
    TicketCreated: "created",
    TicketUpdated: "updated",
    MessageReceived: "message",
    ReplyQueued: "reply",
    NoteAdded: "note",
    DeliveryChanged: "delivery",
    DeliveryGaveUp: "delivery",
    MessageEdited: "message",
    OutboundRecorded: "reply",
}


_TICKET_FIELDS = ("number", "subject", "status", "group_id", "assignee_id", "channel")
_MESSAGE_FIELDS = (
    "id", "direction", "origin", "author_agent_id", "author_name", "text", "delivery_status",
)  # fmt: skip


def ticket_fact(ticket_id: int, kind: str, message_id: int | None = None) -> dict[str, Any] | None:
    """What agents' workspaces are told about one change (None if the ticket is gone):
    one query, two for a new ticket (its first message is the preview)."""
    if message_id is None and kind == "created":
        message_id = (
            Message.objects.filter(ticket_id=ticket_id, direction=Direction.IN)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
    if message_id is None:
        row = Ticket.objects.filter(pk=ticket_id).values(*_TICKET_FIELDS).first()
        return {"ticket": ticket_id, "kind": kind, **row} if row is not None else None
    found = (
        Message.objects.filter(pk=message_id, ticket_id=ticket_id)
        .values(*_MESSAGE_FIELDS, *(f"ticket__{name}" for name in _TICKET_FIELDS))
        .first()
    )
    if found is None:
        return None
    fact: dict[str, Any] = {"ticket": ticket_id, "kind": kind}
    fact.update({name: found[f"ticket__{name}"] for name in _TICKET_FIELDS})
    message = {name: found[name] for name in _MESSAGE_FIELDS}
    message["text"] = one_line(message["text"] or "", PREVIEW_CHARS)
    fact["message"] = message
    return fact


def tell_workspaces(event: Event) -> None:
    """Inline subscriber: push the change to every connected workspace (from the
    realtime thread: whoever made the change does not wait for it)."""
    realtime.defer(lambda: push_fact(event))


def push_fact(event: Event) -> None:
    kind = KINDS.get(type(event))
    ticket_id = getattr(event, "ticket_id", None)
    if kind is None or ticket_id is None:
        return
    fact = ticket_fact(ticket_id, kind, getattr(event, "message_id", None))
    if fact is None:
        return
    actor = getattr(event, "actor", None)
    fact["actor_agent_id"] = actor.agent_id if actor is not None else None
    if isinstance(event, TicketUpdated):
        fact["changes"] = sorted(event.changes)
    realtime.push(realtime.DESK_GROUP, {"type": "desk.event", "fact": fact})
