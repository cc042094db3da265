"""Writes for reports: keeping each ticket's measurements current.

``ticket_metrics_refresh`` recomputes one ticket's row from what the ticket stores (its
timestamps and counters) and one indexed count of its replies, so it is idempotent and
order-independent: subscribers call it after any change, and running it twice, late, or
for an event that arrived out of order still leaves the right numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from unidesk.accounts.selectors import calendar_for
from unidesk.core import clock
from unidesk.core.calendar import BusinessCalendar
from unidesk.reports.models import TicketMetrics
from unidesk.tickets.models import Direction, Message, Origin, Ticket

logger = logging.getLogger("unidesk.reports")

FILL_BATCH: Final = 500


def _seconds(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def _business_seconds(
    calendar: BusinessCalendar, start: datetime, end: datetime | None
) -> int | None:
    if end is None:
        return None
    return round(calendar.business_seconds(start, end))


def agent_replies_until(ticket_id: int, moment: datetime) -> int:
    """Agents' replies to the customer on a ticket up to ``moment`` (notes, automatic
    messages and the bot's answers are not replies by an agent)."""
    return Message.objects.filter(
        ticket_id=ticket_id,
        direction=Direction.OUT,
        origin=Origin.AGENT,
        created_at__lte=moment,
    ).count()


def _last_replying_agent(ticket_id: int) -> int | None:
    """Who answered an unassigned ticket last: its numbers count for that agent."""
    return (
        Message.objects.filter(ticket_id=ticket_id, direction=Direction.OUT, origin=Origin.AGENT)
        .exclude(author_agent=None)
        .order_by("-created_at", "-id")
        .values_list("author_agent_id", flat=True)
        .first()
    )


def ticket_metrics_refresh(*, ticket_id: int) -> TicketMetrics | None:
    """Recompute one ticket's measurements; None when the ticket no longer exists."""
    return metrics_refresh_many(ticket_ids=[ticket_id]).get(ticket_id)


def metrics_refresh_many(*, ticket_ids: Iterable[int]) -> dict[int, TicketMetrics]:
    """Recompute the measurements of these tickets (those that still exist) in one
    transaction: one read of the tickets, the reply lookups only for tickets that have
    replies, and one statement writing every row.

    Business durations use the calendar of the ticket's current group: a ticket moved to
    another team is measured in that team's working hours."""
    wanted = sorted(set(ticket_ids))
    if not wanted:
        return {}
    with transaction.atomic():
        # The ticket rows are locked so two workers refreshing the same ticket write in
        # turn, the later one with the later state.
        tickets = list(
            Ticket.objects.select_for_update(of=("self",))
            .select_related("group__business_hours")
            .filter(pk__in=wanted)
            .order_by("pk")
        )
        calendars: dict[int | None, BusinessCalendar] = {}
        rows = []
        for ticket in tickets:
            if ticket.group_id not in calendars:
                calendars[ticket.group_id] = calendar_for(ticket.group)
            rows.append(_measured(ticket, calendars[ticket.group_id]))
        if rows:
            # One statement, inserting or updating: this runs after every change of every
            # ticket, new ones from every channel included.
            TicketMetrics.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["ticket"],
                update_fields=list(_MEASURED_FIELDS),
            )
    return {row.ticket_id: row for row in rows}


_MEASURED_FIELDS: Final = (
    "group_id", "agent_id", "channel", "priority", "status", "created_at",
    "first_response_at", "first_response_seconds", "first_response_business_seconds",
    "solved_at", "resolution_seconds", "resolution_business_seconds", "replies_to_solve",
    "agent_replies", "reopen_count", "refreshed_at",
)  # fmt: skip


def _measured(ticket: Ticket, calendar: BusinessCalendar) -> TicketMetrics:
    created = ticket.created_at
    solved = ticket.solved_at
    first = ticket.first_response_at
    replied = ticket.agent_reply_count > 0
    agent_id = ticket.assignee_id or (_last_replying_agent(ticket.pk) if replied else None)
    replies_to_solve = None
    if solved:
        replies_to_solve = agent_replies_until(ticket.pk, solved) if replied else 0
    return TicketMetrics(
        ticket_id=ticket.pk,
        group_id=ticket.group_id,
        agent_id=agent_id,
        channel=ticket.channel,
        priority=ticket.priority,
        status=ticket.status,
        created_at=created,
        first_response_at=first,
        first_response_seconds=_seconds(created, first),
        first_response_business_seconds=_business_seconds(calendar, created, first),
        solved_at=solved,
        resolution_seconds=_seconds(created, solved),
        resolution_business_seconds=_business_seconds(calendar, created, solved),
        replies_to_solve=replies_to_solve,
        agent_replies=ticket.agent_reply_count,
        reopen_count=ticket.reopen_count,
        # Never older than the change it reflects, also when the demo loader writes
        # history "as of" a past moment.
        refreshed_at=max(clock.now(), ticket.updated_at),
    )


STALE_WINDOW: Final = timedelta(days=2)


def metrics_refresh_stale(limit: int = FILL_BATCH) -> int:
    """Refresh recently changed tickets whose row is missing or older than the ticket's
    last change (the subscriber runs after commit, in the process that made the change, and
    a crash in between would leave the row behind)."""
    since = clock.now() - STALE_WINDOW
    stale = list(
        Ticket.objects.filter(updated_at__gte=since)
        .filter(Q(metrics__isnull=True) | Q(metrics__refreshed_at__lt=F("updated_at")))
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )
    metrics_refresh_many(ticket_ids=stale)
    return len(stale)


def metrics_fill_missing(limit: int = FILL_BATCH) -> int:
    """Create the rows of tickets that have none (tickets from before reports were
    installed, or whose event was lost); returns how many were filled."""
    missing = list(
        Ticket.objects.filter(~Exists(TicketMetrics.objects.filter(ticket_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    metrics_refresh_many(ticket_ids=missing)
    if missing:
        logger.info("filled the metrics of %d tickets", len(missing))
    return len(missing)


def metrics_rebuild(*, batch: int = FILL_BATCH) -> int:
    """Recompute every ticket's row (after changing business hours retroactively, say)."""
    done = 0
    last_id = 0
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        metrics_refresh_many(ticket_ids=ids)
        done += len(ids)
        last_id = ids[-1]
