"""Event subscribers that keep the per-ticket measurements current (wired in
``unidesk.wiring``; they run right after the change commits)."""

from __future__ import annotations

from unidesk.reports.services import ticket_metrics_refresh
from unidesk.tickets.events import ReplyQueued, TicketCreated, TicketUpdated


def ticket_changed(event: TicketCreated | TicketUpdated | ReplyQueued) -> None:
    ticket_metrics_refresh(ticket_id=event.ticket_id)
