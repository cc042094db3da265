"""Template helpers for email tickets."""

from __future__ import annotations

from django import template

from unidesk.channels.email.selectors import copies_of
from unidesk.tickets.models import Ticket, TicketParticipant

register = template.Library()


@register.simple_tag
def email_copies(ticket: Ticket) -> list[TicketParticipant]:
    return copies_of(ticket) if ticket.channel == "email" else []
