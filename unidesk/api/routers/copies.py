"""Who is copied on an email ticket's replies (CC and BCC)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from unidesk.api.auth import agent_of
from unidesk.api.schemas import ErrorOut
from unidesk.channels.email.selectors import copies_of
from unidesk.channels.email.services import copy_add, copy_remove
from unidesk.core.actor import Actor
from unidesk.core.errors import NotFound
from unidesk.tickets.models import TicketParticipant
from unidesk.tickets.selectors import ticket_get_for

router = Router(tags=["tickets"])
ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CopyIn(Schema):
    address: str = Field(max_length=320)
    blind: bool = Field(default=False, description="A blind copy (BCC): not shown to others.")


class CopyOut(Schema):
    id: int
    address: str
    role: str = Field(description="`cc` or `bcc`")


def _out(participant: TicketParticipant) -> dict[str, Any]:
    return {"id": participant.pk, "address": participant.identity.value, "role": participant.role}


@router.get("/{int:ticket_id}/copies", response={200: list[CopyOut], **ERRORS},
            summary="Copies of an email ticket")  # fmt: skip
def list_copies(request: HttpRequest, ticket_id: int) -> list[dict[str, Any]]:
    """The addresses besides the customer's that receive the replies."""
    ticket = ticket_get_for(agent_of(request), ticket_id)
    return [_out(p) for p in copies_of(ticket)]


@router.post("/{int:ticket_id}/copies", response={201: CopyOut, **ERRORS},
             summary="Copy an address on the replies")  # fmt: skip
def add_copy(request: HttpRequest, ticket_id: int, payload: CopyIn) -> Status[dict[str, Any]]:
    """Only email tickets have copies. Adding an address as `blind` that was a CC (or the
    other way round) moves it."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    participant = copy_add(
        ticket=ticket, address=payload.address, blind=payload.blind, actor=Actor.for_agent(agent)
    )
    return Status(201, _out(participant))


@router.delete("/{int:ticket_id}/copies/{int:copy_id}", response={204: None, **ERRORS},
               summary="Stop copying an address")  # fmt: skip
def remove_copy(request: HttpRequest, ticket_id: int, copy_id: int) -> Status[None]:
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    if not TicketParticipant.objects.filter(ticket=ticket, pk=copy_id).exists():
        raise NotFound(f"No copy {copy_id} on this ticket.")
    copy_remove(ticket=ticket, participant_id=copy_id, actor=Actor.for_agent(agent))
    return Status(204, None)
