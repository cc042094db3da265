"""The web chat visitor behind a ticket, on the ticket page."""

from __future__ import annotations

from typing import Any

from django import template

from unidesk.channels.webchat.selectors import visitor_of_ticket
from unidesk.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("webchat/_visitor.html")
def webchat_visitor(ticket: Ticket) -> dict[str, Any]:
    """Where the visitor writes from and what they told us (nothing for other channels,
    and no query either)."""
    return {"visitor": visitor_of_ticket(ticket)}
