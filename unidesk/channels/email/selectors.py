"""Reads of the email channel."""

from __future__ import annotations

from unidesk.tickets.models import Ticket, TicketParticipant


def copies_of(ticket: Ticket) -> list[TicketParticipant]:
    """Who besides the requester receives the replies of ``ticket`` (CC, then BCC). The
    caller has fetched ``ticket`` through a selector that checked the viewer."""
    return list(
        TicketParticipant.objects.filter(ticket=ticket)
        .select_related("identity")
        .order_by("role", "identity__value")
    )
