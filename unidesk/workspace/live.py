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

from collections.abc import Sequence
from typing import Any

from django.db.models import Min

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
    """What agents' workspaces are told about one change (None if the ticket is gone)."""
    return ticket_facts([(ticket_id, kind, message_id)])[0]


def ticket_facts(
    changes: Sequence[tuple[int, str, int | None]],
) -> list[dict[str, Any] | None]:
    """``ticket_fact`` of each (ticket id, kind, message id), read together: at most three
    queries however many changes a transaction made. A new ticket's preview is its first
    customer message."""
    firsts = _first_messages({t for t, kind, m in changes if m is None and kind == "created"})
    resolved = [(t, kind, m if m is not None else firsts.get(t)) for t, kind, m in changes]
    messages = {
        row["id"]: row
        for row in Message.objects.filter(pk__in={m for _, _, m in resolved if m is not None})
        .order_by()
        .values(*_MESSAGE_FIELDS, "ticket_id", *(f"ticket__{name}" for name in _TICKET_FIELDS))
    }
    bare = {t for t, _, m in resolved if m is None}
    tickets = {
        row["id"]: row
        for row in (
            Ticket.objects.filter(pk__in=bare).order_by().values("id", *_TICKET_FIELDS)
            if bare
            else []
        )
    }
    return [_fact(t, kind, m, messages, tickets) for t, kind, m in resolved]


def _first_messages(ticket_ids: set[int]) -> dict[int, int]:
    if not ticket_ids:
        return {}
    rows = (
        Message.objects.filter(ticket_id__in=ticket_ids, direction=Direction.IN)
        .order_by()
        .values("ticket_id")
        .annotate(first=Min("id"))
        .values_list("ticket_id", "first")
    )
    return dict(rows)


def _fact(
    ticket_id: int,
    kind: str,
    message_id: int | None,
    messages: dict[int, dict[str, Any]],
    tickets: dict[int, dict[str, Any]],
) -> dict[str, Any] | None:
    if message_id is None:
        row = tickets.get(ticket_id)
        if row is None:
            return None
        return {"ticket": ticket_id, "kind": kind, **{n: row[n] for n in _TICKET_FIELDS}}
    found = messages.get(message_id)
    if found is None or found["ticket_id"] != ticket_id:
        return None
    fact: dict[str, Any] = {"ticket": ticket_id, "kind": kind}
    fact.update({name: found[f"ticket__{name}"] for name in _TICKET_FIELDS})
    message = {name: found[name] for name in _MESSAGE_FIELDS}
    message["text"] = one_line(message["text"] or "", PREVIEW_CHARS)
    fact["message"] = message
    return fact


def concerns_workspaces(event: Event) -> bool:
    return type(event) in KINDS and getattr(event, "ticket_id", None) is not None


def tell_workspaces(events: Sequence[Event]) -> None:
    """Coalesced subscriber (once per transaction, with its changes in order): push them
    to every connected workspace from the realtime thread, so whoever made the changes
    does not wait, and a batch of a hundred new conversations costs a few queries."""
    changes = list(events)
    realtime.defer(lambda: push_facts(changes))


def push_facts(events: Sequence[Event]) -> None:
    facts = ticket_facts(
        [
            (getattr(e, "ticket_id"), KINDS[type(e)], getattr(e, "message_id", None))  # noqa: B009
            for e in events
        ]
    )
    for event, fact in zip(events, facts, strict=True):
        if fact is None:
            continue
        actor = getattr(event, "actor", None)
        fact["actor_agent_id"] = actor.agent_id if actor is not None else None
        if isinstance(event, TicketUpdated):
            fact["changes"] = sorted(event.changes)
        realtime.push(realtime.DESK_GROUP, {"type": "desk.event", "fact": fact})
