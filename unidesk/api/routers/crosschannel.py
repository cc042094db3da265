"""One customer across channels: merge previews and suggestions, links between tickets,
duplicates, and the customer's other open conversations. Mounted at the API root."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from unidesk.api.auth import agent_of
from unidesk.api.schemas import (
    CustomerOut,
    ErrorOut,
    IdentityOut,
    MessageOut,
    TicketOut,
    customer_out,
    message_out,
    ticket_out,
)
from unidesk.core.errors import NotFound, ValidationFailed
from unidesk.crosschannel.models import MergeSuggestion
from unidesk.crosschannel.selectors import (
    merge_preview,
    merge_suggestion_get_for,
    merge_suggestions_for,
    ticket_links_for,
)
from unidesk.crosschannel.services import (
    merge_suggestion_dismiss,
    ticket_close_as_duplicate,
    ticket_link,
    ticket_unlink,
)
from unidesk.tickets.models import Ticket
from unidesk.tickets.selectors import (
    customer_get_for,
    messages_of,
    parallel_conversations,
    ticket_get_for,
)

router = Router(tags=["one customer"])
ERRORS: dict[int, Any] = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
}  # fmt: skip


class TicketRefOut(Schema):
    """Another ticket as the caller may see it: ``subject`` and ``assignee_name`` are
    null for a ticket in a group the caller does not see."""

    id: int
    number: int
    channel: str
    status: str
    is_public: bool
    visible: bool
    subject: str | None
    assignee_name: str | None


class MergePreviewOut(Schema):
    source: CustomerOut = Field(description="The customer that is merged away.")
    target: CustomerOut = Field(description="The customer that stays.")
    identities: list[IdentityOut] = Field(description="Identities that move to the target.")
    tickets: list[TicketRefOut] = Field(description="Tickets that move (those you can see).")
    ticket_count: int = Field(description="All tickets that move, hidden ones included.")
    hidden_tickets: int
    messages: int = Field(description="Messages on the moving tickets and by the customer.")
    name_after: str


class MergeSuggestionOut(Schema):
    id: int
    customer: int = Field(description="The customer who wrote the value.")
    candidate: int = Field(description="The customer the value belongs to.")
    other: CustomerOut = Field(description="The customer of the pair that is not asked about.")
    kind: Literal["phone", "email"]
    value: str = Field(description="Normalised as identities are stored.")
    written: str = Field(description="As the customer wrote it.")
    ticket: int | None
    message: int | None
    state: Literal["pending", "dismissed", "merged"]
    created_at: datetime


class LinkOut(Schema):
    relation: Literal["related", "duplicate_of", "duplicated_by"]
    ticket: TicketRefOut
    created_at: datetime


class LinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ticket: int = Field(description="The id of the ticket to link to.")


class DuplicateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    original: int = Field(description="The id of the ticket the conversation continues in.")
    notify: bool = Field(default=True, description="Tell the customer in this ticket's channel.")


class DuplicateOut(Schema):
    ticket: TicketOut
    original: TicketOut
    notice: MessageOut | None = Field(
        description="The message that tells the customer; null when not asked for, or when "
        "the channel does not take a message now (WhatsApp after 24 hours, phone)."
    )


class ParallelOut(Schema):
    ticket: TicketRefOut
    agents: list[str] = Field(description="The assignee, then agents who wrote there.")


def _ref(ticket: Ticket, *, visible: bool) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "channel": ticket.channel,
        "status": ticket.status,
        "is_public": ticket.is_public,
        "visible": visible,
        "subject": ticket.subject if visible else None,
        "assignee_name": ticket.assignee.display_name if visible and ticket.assignee else None,
    }


# --- customers -------------------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/merge-preview",
    response={200: MergePreviewOut, **ERRORS},
    summary="What a merge would move",
)
def get_merge_preview(request: HttpRequest, customer_id: int, into: int) -> dict[str, Any]:
    """What `POST /customers/{id}/merge` with the same `into` would move. Changes nothing."""
    preview = merge_preview(agent_of(request), customer_id, into)
    return {
        "source": customer_out(preview.source),
        "target": customer_out(preview.target),
        "identities": [
            {"kind": i.kind, "value": i.value, "verified": i.verified} for i in preview.identities
        ],
        "tickets": [_ref(t, visible=True) for t in preview.tickets],
        "ticket_count": preview.ticket_count,
        "hidden_tickets": preview.hidden_tickets,
        "messages": preview.messages,
        "name_after": preview.name_after,
    }


def _suggestion_out(suggestion: MergeSuggestion, other: Any) -> dict[str, Any]:
    return {
        "id": suggestion.pk,
        "customer": suggestion.customer_id,
        "candidate": suggestion.candidate_id,
        "other": customer_out(other),
        "kind": suggestion.kind,
        "value": suggestion.value,
        "written": suggestion.written,
        "ticket": suggestion.ticket_id,
        "message": suggestion.message_id,
        "state": suggestion.state,
        "created_at": suggestion.created_at,
    }


@router.get(
    "/customers/{int:customer_id}/merge-suggestions",
    response={200: list[MergeSuggestionOut], **ERRORS},
    summary="Pending merge suggestions",
)
def list_merge_suggestions(request: HttpRequest, customer_id: int) -> list[dict[str, Any]]:
    """Customers this one may be, found from phone numbers and addresses written in
    messages. Empty for trainees, who do not merge."""
    agent = agent_of(request)
    customer = customer_get_for(agent, customer_id)
    return [
        _suggestion_out(view.suggestion, view.other)
        for view in merge_suggestions_for(agent, customer)
    ]


@router.post(
    "/merge-suggestions/{int:suggestion_id}/dismiss",
    response={200: MergeSuggestionOut, **ERRORS},
    summary="Dismiss a merge suggestion",
)
def dismiss_merge_suggestion(request: HttpRequest, suggestion_id: int) -> dict[str, Any]:
    """The two are different people; the pair is not suggested again."""
    agent = agent_of(request)
    suggestion = merge_suggestion_get_for(agent, suggestion_id)
    dismissed = merge_suggestion_dismiss(suggestion=suggestion, agent=agent)
    return _suggestion_out(dismissed, suggestion.candidate)


# --- tickets ---------------------------------------------------------------------------------


@router.get(
    "/tickets/{int:ticket_id}/links",
    response={200: list[LinkOut], **ERRORS},
    summary="Linked tickets",
)
def list_links(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    return [
        {
            "relation": view.relation,
            "ticket": _ref(view.other, visible=view.visible),
            "created_at": view.link.created_at,
        }
        for view in ticket_links_for(agent, ticket)
    ]


@router.post(
    "/tickets/{int:ticket_id}/links",
    response={201: list[LinkOut], **ERRORS},
    summary="Link a related ticket",
)
def post_link(request: HttpRequest, ticket_id: int, payload: LinkIn) -> Status[Any]:
    """Both tickets record the link; linking twice changes nothing. Answers with the
    ticket's links."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    other = _other(agent, payload.ticket, "ticket")
    ticket_link(ticket=ticket, other=other, agent=agent)
    return Status(201, list_links(request, ticket_id))


@router.delete(
    "/tickets/{int:ticket_id}/links/{int:other_id}",
    response={204: None, **ERRORS},
    summary="Remove a link",
)
def delete_link(request: HttpRequest, ticket_id: int, other_id: int) -> Status[None]:
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    other = ticket_get_for(agent, other_id)
    if not ticket_unlink(ticket=ticket, other=other, agent=agent):
        raise NotFound(f"Tickets {ticket_id} and {other_id} are not linked.")
    return Status(204, None)


@router.post(
    "/tickets/{int:ticket_id}/duplicate",
    response={200: DuplicateOut, **ERRORS},
    summary="Close as a duplicate",
)
def post_duplicate(request: HttpRequest, ticket_id: int, payload: DuplicateIn) -> dict[str, Any]:
    """Close this ticket as a duplicate of `original`, a ticket of the same customer that
    is not closed. With `notify` the customer is told, in this ticket's channel and their
    language, where the conversation continues. Both tickets record it."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    original = _other(agent, payload.original, "original")
    closed = ticket_close_as_duplicate(
        ticket=ticket, original=original, agent=agent, notify=payload.notify
    )
    notice = closed.notice
    return {
        "ticket": ticket_out(ticket_get_for(agent, ticket.pk)),
        "original": ticket_out(ticket_get_for(agent, original.pk)),
        "notice": message_out(messages_of(ticket).get(pk=notice.pk)) if notice else None,
    }


@router.get(
    "/tickets/{int:ticket_id}/parallel",
    response={200: list[ParallelOut], **ERRORS},
    summary="The customer's other open conversations",
)
def list_parallel(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    """Other unsolved tickets of the same customer in other channels or inboxes ("also
    writing now in"), with the agents on them, so two agents do not answer one person
    in two places. Tickets in groups the caller does not see are listed without subject."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    return [
        {"ticket": _ref(c.ticket, visible=c.visible), "agents": c.agents}
        for c in parallel_conversations(ticket, agent)
    ]


def _other(agent: Any, ticket_id: int, field: str) -> Ticket:
    """The other ticket of a request body: an unknown or hidden id is bad input (422)."""
    try:
        return ticket_get_for(agent, ticket_id)
    except NotFound:
        raise ValidationFailed(
            f"No ticket {ticket_id} that you can see.", fields={field: "not_found"}
        ) from None
