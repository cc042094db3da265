"""API shapes (see the contract in docs/api.md) and the functions that fill them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from unidesk.accounts.models import Agent, Group
from unidesk.channels.api.adapter import AttachmentIn
from unidesk.csat.selectors import latest_rating_of, latest_ratings
from unidesk.customers.models import Customer
from unidesk.tickets.models import Attachment, Message, Priority, Ticket
from unidesk.tickets.selectors import tag_names_of

StatusName = Literal["new", "open", "pending", "on-hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, Any]


class ErrorOut(Schema):
    error: ErrorBody


class GroupOut(Schema):
    id: int
    name: str
    description: str
    first_reply_target_minutes: int


class AgentOut(Schema):
    id: int
    name: str
    email: str
    role: str
    groups: list[int]


class TicketCsatOut(Schema):
    """The customer's rating of the ticket's latest rated solve."""

    rating: int
    comment: str
    rated_at: datetime
    scale: int
    score: Literal["bad", "okay", "great"]


class TicketOut(Schema):
    id: int
    number: int
    subject: str
    status: StatusName
    priority: PriorityName
    channel: str
    is_public: bool
    group: int | None
    group_name: str | None
    assignee: int | None
    assignee_name: str | None
    customer: int
    customer_name: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    csat: TicketCsatOut | None


class ParticipantOut(Schema):
    kind: str
    value: str
    role: Literal["cc", "bcc"]


class TicketDetailOut(TicketOut):
    """One ticket: besides the list fields, who else receives the replies (email copies)."""

    participants: list[ParticipantOut]


class TicketPage(Schema):
    items: list[TicketOut]
    next: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    content_type: str
    url: str | None
    error: str


class AuthorOut(Schema):
    kind: Literal["agent", "customer", "system", "bot"]
    id: int | None
    name: str


class MessageOut(Schema):
    id: int
    ticket: int
    direction: Literal["in", "out", "note", "system"]
    origin: str
    author: AuthorOut
    text: str
    html: str
    attachments: list[AttachmentOut]
    external_id: str
    delivery_status: str
    delivery_error: str
    is_public: bool
    channel: str = Field(
        description="The channel the message came or went through (`telegram`, `email`…); "
        "empty for internal notes. A customer who writes through several channels has "
        "messages of each."
    )
    created_at: datetime


class MessagePage(Schema):
    items: list[MessageOut]
    next: str | None


class IdentityOut(Schema):
    kind: str
    value: str
    verified: bool


class CustomerOut(Schema):
    id: int
    name: str
    note: str
    identities: list[IdentityOut]
    created_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next: str | None


class MessageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=200_000)
    html: str = Field(default="", max_length=1_000_000)
    kind: Literal["reply", "note"] = "reply"
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    status: StatusName | None = Field(
        default=None, description="Set the ticket's status together with a reply."
    )


class TicketPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    status: StatusName | None = None
    priority: PriorityName | None = None
    group: int | None = None
    assignee: int | None = None
    tags: list[str] | None = Field(default=None, max_length=50)

    @field_validator("status", mode="before")
    @classmethod
    def _on_hold_spelling(cls, value: object) -> object:
        return "on-hold" if value == "on_hold" else value


class CustomerPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=10_000)


class MergeIn(Schema):
    into: int = Field(description="The customer that stays.")


class InboundAccepted(Schema):
    message_id: int
    ticket_id: int
    ticket_number: int
    duplicate: bool


class TokenOut(Schema):
    agent: AgentOut


# --- filling ---------------------------------------------------------------------------------


def group_out(group: Group) -> dict[str, Any]:
    return {
        "id": group.pk,
        "name": group.name,
        "description": group.description,
        "first_reply_target_minutes": group.first_reply_target_minutes,
    }


def agent_out(agent: Agent, group_ids: list[int]) -> dict[str, Any]:
    return {
        "id": agent.pk,
        "name": agent.display_name,
        "email": agent.email,
        "role": agent.role,
        "groups": group_ids,
    }


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": Priority(ticket.priority).key,
        "channel": ticket.channel,
        "is_public": ticket.is_public,
        "group": ticket.group_id,
        "group_name": ticket.group.name if ticket.group else None,
        "assignee": ticket.assignee_id,
        "assignee_name": ticket.assignee.display_name if ticket.assignee else None,
        "customer": ticket.requester_id,
        "customer_name": ticket.requester.name,
        "tags": tag_names_of(ticket),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "closed_at": ticket.closed_at,
        "csat": csat_out(ticket),
    }


def attach_ratings(tickets: list[Ticket]) -> None:
    """Fetch the ratings of a page of tickets in one query (see ``csat_out``)."""
    found = latest_ratings(tickets)
    for ticket in tickets:
        ticket.latest_rating = found.get(ticket.pk)  # type: ignore[attr-defined]


def csat_out(ticket: Ticket) -> dict[str, Any] | None:
    survey = (
        ticket.__dict__["latest_rating"]
        if "latest_rating" in ticket.__dict__
        else latest_rating_of(ticket)
    )
    if survey is None or survey.rating is None or survey.rated_at is None:
        return None
    return {
        "rating": survey.rating,
        "comment": survey.comment,
        "rated_at": survey.rated_at,
        "scale": survey.scale,
        "score": survey.score,
    }


def ticket_detail_out(ticket: Ticket) -> dict[str, Any]:
    participants = ticket.participants.select_related("identity").order_by("role", "id")
    return {
        **ticket_out(ticket),
        "participants": [
            {"kind": p.identity.kind, "value": p.identity.value, "role": p.role}
            for p in participants
        ],
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": f"/api/v1/attachments/{attachment.pk}" if attachment.is_kept else None,
        "error": attachment.error,
    }


def author_out(message: Message) -> dict[str, Any]:
    if message.author_agent_id:
        return {"kind": "agent", "id": message.author_agent_id, "name": message.author_name}
    if message.author_customer_id:
        return {"kind": "customer", "id": message.author_customer_id, "name": message.author_name}
    kind = "bot" if message.origin == "bot" else "system"
    return {"kind": kind, "id": None, "name": message.author_name}


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "ticket": message.ticket_id,
        "direction": message.direction,
        "origin": message.origin,
        "author": author_out(message),
        "text": message.text,
        "html": message.html,
        "attachments": [attachment_out(a) for a in message.attachments.all()],
        "external_id": message.external_id,
        "delivery_status": message.delivery_status,
        "delivery_error": message.delivery_error,
        "is_public": message.is_public,
        "channel": message.channel_account.kind if message.channel_account else "",
        "created_at": message.created_at,
    }


def customer_out(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "note": customer.note,
        "identities": [
            {"kind": i.kind, "value": i.value, "verified": i.verified}
            for i in customer.identities.all()
        ],
        "created_at": customer.created_at,
    }
