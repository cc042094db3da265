"""Tickets and their messages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import AwareDatetime, Field

from unidesk.accounts.models import Agent, Group
from unidesk.api.auth import agent_of
from unidesk.api.schemas import (
    ErrorOut,
    MessageIn,
    MessageOut,
    MessagePage,
    TicketDetailOut,
    TicketOut,
    TicketPage,
    TicketPatch,
    attach_ratings,
    message_out,
    ticket_detail_out,
    ticket_out,
)
from unidesk.channels.api.adapter import AttachmentIn, decode_attachment
from unidesk.channels.services import reply_send
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.core.inputs import MAX_ID
from unidesk.core.pagination import OrderKey, keyset_page
from unidesk.tickets.models import Priority
from unidesk.tickets.selectors import (
    TicketFilters,
    messages_of,
    ticket_get_for,
    ticket_page,
)
from unidesk.tickets.services import NewAttachment, note_add, ticket_update

router = Router(tags=["tickets"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TicketQuery(Schema):
    status: str = Field(default="", description="unsolved, new, open, pending, on-hold, …")
    group: int | None = Field(default=None, ge=1, le=MAX_ID)
    assignee: str = Field(default="", description="An agent id, `me`, or `none`.")
    customer: int | None = Field(default=None, ge=1, le=MAX_ID)
    channel: str = ""
    q: str = Field(default="", max_length=500)
    tag: str = ""
    updated_since: AwareDatetime | None = Field(
        default=None, description="ISO 8601 with a zone: `2026-03-01T09:00:00+03:00`."
    )
    sort: str = "activity"
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


def _filters(agent: Agent, query: TicketQuery) -> TicketFilters:
    assignee_id: int | None = None
    unassigned = False
    if query.assignee == "me":
        assignee_id = agent.pk
    elif query.assignee == "none":
        unassigned = True
    elif query.assignee:
        try:
            assignee_id = int(query.assignee)
        except ValueError:
            assignee_id = None
        if assignee_id is None or not 1 <= assignee_id <= MAX_ID:
            raise ValidationFailed(
                "assignee is an agent id, `me` or `none`.", fields={"assignee": "invalid"}
            )
    return TicketFilters(
        status=query.status,
        group_id=query.group,
        assignee_id=assignee_id,
        unassigned=unassigned,
        customer_id=query.customer,
        channel=query.channel,
        q=query.q,
        tag=query.tag,
        updated_since=query.updated_since,
    )


@router.get("", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(request: HttpRequest, query: Query[TicketQuery]) -> dict[str, Any]:
    """Newest activity first. Without a status filter every status the caller may see is
    listed, solved and closed included. Pass `next` back as `cursor` for the next page."""
    agent = agent_of(request)
    page = ticket_page(
        agent, _filters(agent, query), sort=query.sort, cursor=query.cursor, limit=query.limit
    )
    attach_ratings(page.items)
    return {"items": [ticket_out(t) for t in page.items], "next": page.next}


@router.get("/{int:ticket_id}", response={200: TicketDetailOut, **ERRORS}, summary="One ticket")
def get_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    """With `participants`: who else receives the replies (`cc`, `bcc`)."""
    return ticket_detail_out(ticket_get_for(agent_of(request), ticket_id))


@router.patch("/{int:ticket_id}", response={200: TicketOut, **ERRORS}, summary="Change a ticket")
def patch_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> dict[str, Any]:
    """Only the fields present change; `null` clears group or assignee; `tags` replaces."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    given = payload.model_fields_set
    changes: dict[str, Any] = {}
    if "status" in given:
        if payload.status is None:
            raise ValidationFailed("status cannot be null.", fields={"status": "required"})
        changes["status"] = payload.status
    if "priority" in given:
        if payload.priority is None:
            raise ValidationFailed("priority cannot be null.", fields={"priority": "required"})
        changes["priority"] = Priority.from_name(payload.priority)
    if "group" in given:
        changes["group"] = _group(payload.group)
    if "assignee" in given:
        changes["assignee"] = _assignee(payload.assignee)
    if "tags" in given:
        changes["tags"] = payload.tags or []
    updated = ticket_update(ticket=ticket, actor=Actor.for_agent(agent), **changes)
    return ticket_out(ticket_get_for(agent, updated.pk))


def _group(group_id: int | None) -> Group | None:
    if group_id is None:
        return None
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise ValidationFailed(f"No group {group_id}.", fields={"group": "not_found"})
    return group


def _assignee(agent_id: int | None) -> Agent | None:
    if agent_id is None:
        return None
    assignee = Agent.objects.filter(pk=agent_id, is_active=True).first()
    if assignee is None:
        raise ValidationFailed(f"No active agent {agent_id}.", fields={"assignee": "not_found"})
    return assignee


class MessageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


@router.get("/{int:ticket_id}/messages", response={200: MessagePage, **ERRORS}, summary="Messages")
def list_messages(
    request: HttpRequest, ticket_id: int, query: Query[MessageQuery]
) -> dict[str, Any]:
    """Oldest first: customer messages, replies, internal notes and system events."""
    ticket = ticket_get_for(agent_of(request), ticket_id)
    page = keyset_page(
        messages_of(ticket),
        keys=(OrderKey("created_at", descending=False), OrderKey("id", descending=False)),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [message_out(m) for m in page.items], "next": page.next}


@router.post(
    "/{int:ticket_id}/messages",
    response={201: MessageOut, 413: ErrorOut, **ERRORS},
    summary="Reply or add a note",
)
def post_message(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Status[Any]:
    """`kind: reply` goes to the customer through the ticket's channel (see
    `delivery_status`); `kind: note` stays inside the team."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    attachments = [_new_attachment(i, a) for i, a in enumerate(payload.attachments)]
    if payload.kind == "note":
        if payload.status is not None:
            raise ValidationFailed(
                "Notes do not change the status; send status with PATCH.",
                fields={"status": "not_allowed"},
            )
        message = note_add(
            ticket=ticket, author=agent, text=payload.text, html=payload.html,
            attachments=attachments,
        )  # fmt: skip
    else:
        message = reply_send(
            ticket=ticket,
            author=agent,
            text=payload.text,
            html=payload.html,
            attachments=attachments,
            status_after=payload.status,
        )
    return Status(201, message_out(messages_of(ticket).get(pk=message.pk)))


def _new_attachment(index: int, item: AttachmentIn) -> NewAttachment:
    decoded = decode_attachment(index, item)
    return NewAttachment(
        filename=decoded.filename, data=decoded.data or b"", content_type=decoded.content_type
    )
