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


def ticket_fact(ticket_id: int, kind: str, message_id: int | None = None) -> dict[str, Any] | None:
    """What agents' workspaces are told about one change (None if the ticket is gone)."""
    row = (
        Ticket.objects.filter(pk=ticket_id)
        .values("number", "subject", "status", "group_id", "assignee_id", "channel")
        .first()
    )
    if row is None:
        return None
    fact: dict[str, Any] = {"ticket": ticket_id, "kind": kind, **row}
    message = _message(ticket_id, message_id, first=kind == "created")
    if message is not None:
        fact["message"] = message
    return fact


def _message(ticket_id: int, message_id: int | None, *, first: bool) -> dict[str, Any] | None:
    messages = Message.objects.filter(ticket_id=ticket_id)
    if message_id is not None:
        messages = messages.filter(pk=message_id)
    elif first:
        messages = messages.filter(direction=Direction.IN).order_by("id")
    else:
        return None
    found = messages.values(
        "id", "direction", "origin", "author_agent_id", "author_name", "text", "delivery_status"
    ).first()
    if found is None:
        return None
    row: dict[str, Any] = dict(found)
    row["text"] = one_line(row["text"] or "", PREVIEW_CHARS)
    return row


def tell_workspaces(event: Event) -> None:
    """Inline subscriber: push the change to every connected workspace."""
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
