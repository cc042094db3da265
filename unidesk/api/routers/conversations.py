"""What may be sent on a ticket now, approved templates, and moving a public thread to
private messages. Mounted under /tickets beside the tickets router."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from unidesk.api.auth import agent_of
from unidesk.api.schemas import ErrorOut, MessageOut, StatusName, TicketOut, message_out, ticket_out
from unidesk.channels.composer import reply_options
from unidesk.channels.services import conversation_continue_privately, reply_send_template
from unidesk.tickets.selectors import messages_of, ticket_get_for

router = Router(tags=["tickets"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TemplateOut(Schema):
    name: str
    language: str
    text: str = Field(description="A preview with {{1}}… placeholders; may be empty.")


class ReplyOptionsOut(Schema):
    free_text: bool = Field(description="Whether a typed reply can be sent now.")
    reason: str = Field(description="Why not, for the agent.")
    window_closes_at: datetime | None = Field(
        description="When the platform stops taking free text (WhatsApp's 24 hours)."
    )
    templates: list[TemplateOut]
    public: bool = Field(description="The answer is posted publicly (a wall comment).")
    warning: str
    can_continue_privately: bool


class TemplateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="", max_length=16)
    parameters: list[str] = Field(default_factory=list, max_length=20)
    status: StatusName | None = None


class ContinuePrivatelyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=200_000)
    public_reply: str = Field(
        default="", max_length=10_000, description="Also answer publicly, e.g. 'see messages'."
    )


class PrivateContinuationOut(Schema):
    ticket: TicketOut
    message: MessageOut


@router.get(
    "/{int:ticket_id}/reply-options",
    response={200: ReplyOptionsOut, **ERRORS},
    summary="What can be sent on this ticket now",
)
def get_reply_options(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    """Free text or only templates (WhatsApp after 24 hours), and whether the answer will
    be public. A reply that is not allowed now is refused with 422 `window_closed`."""
    options = reply_options(ticket_get_for(agent_of(request), ticket_id))
    return {
        "free_text": options.free_text,
        "reason": options.reason,
        "window_closes_at": options.window_closes_at,
        "templates": [
            {"name": t.name, "language": t.language, "text": t.text} for t in options.templates
        ],
        "public": options.public,
        "warning": options.warning,
        "can_continue_privately": options.can_continue_privately,
    }


@router.post(
    "/{int:ticket_id}/templates",
    response={201: MessageOut, **ERRORS},
    summary="Send an approved template",
)
def post_template(request: HttpRequest, ticket_id: int, payload: TemplateIn) -> Status[Any]:
    """One of the templates listed in `reply-options`, with its body parameters."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    message = reply_send_template(
        ticket=ticket,
        author=agent,
        name=payload.name,
        language=payload.language,
        parameters=payload.parameters,
        status_after=payload.status,
    )
    return Status(201, message_out(messages_of(ticket).get(pk=message.pk)))


@router.post(
    "/{int:ticket_id}/continue-privately",
    response={201: PrivateContinuationOut, **ERRORS},
    summary="Continue a public thread in private messages",
)
def post_continue_privately(
    request: HttpRequest, ticket_id: int, payload: ContinuePrivatelyIn
) -> Status[Any]:
    """Opens a private ticket for the same customer starting with `text` (where the
    platform allows it, see `can_continue_privately`)."""
    agent = agent_of(request)
    ticket = ticket_get_for(agent, ticket_id)
    message = conversation_continue_privately(
        ticket=ticket, author=agent, text=payload.text, public_reply=payload.public_reply
    )
    private = ticket_get_for(agent, message.ticket_id)
    body = {
        "ticket": ticket_out(private),
        "message": message_out(messages_of(private).get(pk=message.pk)),
    }
    return Status(201, body)
