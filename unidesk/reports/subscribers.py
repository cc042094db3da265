"""Event subscribers that keep the per-ticket measurements current (wired in
``unidesk.wiring``; coalesced: called once right after a transaction commits, with every
change it made, so a batch of new conversations is measured in one go)."""

from __future__ import annotations

from collections.abc import Sequence

from unidesk.reports.services import metrics_refresh_many
from unidesk.tickets.events import ReplyQueued, TicketCreated, TicketUpdated


def tickets_changed(events: Sequence[TicketCreated | TicketUpdated | ReplyQueued]) -> None:
    metrics_refresh_many(ticket_ids={event.ticket_id for event in events})
