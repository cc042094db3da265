"""Reads for tickets. Every list and detail starts from ``tickets_visible_to(agent)`` so the
permission rule lives in one place:

* administrators and supervisors see every ticket;
* agents and trainees see tickets of their groups and tickets assigned to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import Max, Prefetch, Q, QuerySet

from unidesk.accounts.models import Agent
from unidesk.accounts.selectors import agent_group_ids
from unidesk.core.errors import NotFound, ValidationFailed
from unidesk.core.pagination import OrderKey, Page, keyset_page
from unidesk.customers.models import Customer
from unidesk.tickets.models import (
    UNSOLVED_STATUSES,
    Activity,
    Attachment,
    Message,
    Status,
    Ticket,
)
from unidesk.tickets.search import ticket_match

MAX_PAGE = 200


def tickets_visible_to(agent: Agent) -> QuerySet[Ticket]:
    if not agent.is_active:
        return Ticket.objects.none()
    if agent.sees_all_tickets:
        return Ticket.objects.all()
    return Ticket.objects.filter(Q(group_id__in=agent_group_ids(agent)) | Q(assignee_id=agent.pk))


def ticket_get_for(agent: Agent, ticket_id: int) -> Ticket:
    """The ticket, or NotFound, also when it exists but the agent may not see it."""
    ticket = (
        tickets_visible_to(agent)
        .select_related("group", "assignee", "requester", "channel_account")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(f"Ticket {ticket_id} not found.")
    return ticket


def ticket_get_by_number_for(agent: Agent, number: int) -> Ticket:
    ticket = (
        tickets_visible_to(agent)
        .select_related("group", "assignee", "requester", "channel_account")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise NotFound(f"Ticket #{number} not found.")
    return ticket


# --- lists ---------------------------------------------------------------------------------

StatusFilter = Literal[
    "unsolved", "new", "open", "pending", "on-hold", "solved", "closed", "all", ""
]
SORTS: dict[str, tuple[OrderKey, ...]] = {
    "activity": (OrderKey("updated_at"), OrderKey("id")),
    "oldest": (OrderKey("updated_at", descending=False), OrderKey("id", descending=False)),
    "created": (OrderKey("created_at"), OrderKey("id")),
    "priority": (OrderKey("priority"), OrderKey("updated_at"), OrderKey("id")),
}


@dataclass(frozen=True)
class TicketFilters:
    view: str = "all"  # all | mine | unassigned | group:<id>
    status: str = ""
    group_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    customer_id: int | None = None
    channel: str = ""
    q: str = ""
    updated_since: datetime | None = None
    tag: str = ""


def _status_q(status: str) -> Q:
    if status in ("", "all"):
        return Q()
    if status == "unsolved":
        return Q(status__in=UNSOLVED_STATUSES)
    if status == "on_hold":
        status = Status.ON_HOLD
    if status not in Status.values:
        raise ValidationFailed(
            f"Unknown status {status!r}; use one of unsolved, {', '.join(Status.values)}.",
            fields={"status": "invalid"},
        )
    return Q(status=status)


def _view_q(agent: Agent, view: str) -> Q:
    if view in ("", "all"):
        return Q()
    if view == "mine":
        return Q(assignee_id=agent.pk)
    if view == "unassigned":
        return Q(assignee__isnull=True)
    if view.startswith("group:"):
        try:
            return Q(group_id=int(view.split(":", 1)[1]))
        except ValueError:
            pass
    raise ValidationFailed(f"Unknown view {view!r}.", fields={"view": "invalid"})


def tickets_filtered(agent: Agent, filters: TicketFilters) -> QuerySet[Ticket]:
    qs = tickets_visible_to(agent).filter(_view_q(agent, filters.view), _status_q(filters.status))
    if filters.group_id is not None:
        qs = qs.filter(group_id=filters.group_id)
    if filters.unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.customer_id is not None:
        qs = qs.filter(requester_id=filters.customer_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.updated_since is not None:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag.lower())
    if filters.q:
        match = ticket_match(filters.q)
        if match is not None:
            qs = qs.filter(match)
    return qs


def ticket_page(
    agent: Agent,
    filters: TicketFilters,
    *,
    sort: str = "activity",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Ticket]:
    if sort not in SORTS:
        raise ValidationFailed(
            f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.", fields={"sort": "invalid"}
        )
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_PAGE}.", fields={"limit": "out_of_range"}
        )
    qs = tickets_filtered(agent, filters).select_related("group", "assignee", "requester")
    page = keyset_page(qs, keys=SORTS[sort], cursor=cursor, limit=limit)
    attach_tag_names(page.items)
    return page


def attach_tag_names(tickets: list[Ticket]) -> None:
    """Set ``tag_names`` on each ticket with one query. Lists use this instead of
    prefetch_related, whose per-row manager set-up costs more than the query itself."""
    names: dict[int, list[str]] = {t.pk: [] for t in tickets}
    rows = Ticket.tags.through.objects.filter(ticket_id__in=names).values_list(
        "ticket_id", "tag__name"
    )
    for ticket_id, name in rows.order_by("tag__name"):
        names[ticket_id].append(name)
    for ticket in tickets:
        ticket.tag_names = names[ticket.pk]  # type: ignore[attr-defined]


def tag_names_of(ticket: Ticket) -> list[str]:
    attached: list[str] | None = getattr(ticket, "tag_names", None)
    if attached is not None:
        return attached
    return sorted(tag.name for tag in ticket.tags.all())


# Counting stops here: past ten thousand unsolved tickets a number helps nobody, and an
# exact count would read every one of them on each page view.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class InboxCounts:
    """Unsolved tickets per inbox view; a value of ``COUNT_CAP`` means "that many or more"."""

    mine: int
    unassigned: int
    all: int | None
    groups: dict[int, int]


def inbox_counts(agent: Agent, group_ids: Iterable[int]) -> InboxCounts:
    """Unsolved tickets per inbox view, each count one query along an index and capped at
    ``COUNT_CAP``, so the cost does not grow with the desk.

    Each view is narrowed to what the agent may see the way ``tickets_visible_to`` does: a
    group view lists one of the agent's groups (all of it is visible to them), and an
    unassigned ticket is visible to an agent only through its group."""
    group_ids = list(group_ids)
    unsolved = Ticket.objects.filter(status__in=UNSOLVED_STATUSES).order_by()
    if not agent.is_active:
        return InboxCounts(mine=0, unassigned=0, all=None, groups=dict.fromkeys(group_ids, 0))
    if agent.sees_all_tickets:
        unassigned = unsolved.filter(assignee__isnull=True)
        everything: int | None = _capped(unsolved)
    else:
        member_of = set(agent_group_ids(agent))
        group_ids = [gid for gid in group_ids if gid in member_of]
        unassigned = unsolved.filter(assignee__isnull=True, group_id__in=member_of)
        everything = None
    return InboxCounts(
        mine=_capped(unsolved.filter(assignee_id=agent.pk)),
        unassigned=_capped(unassigned),
        all=everything,
        groups={gid: _capped(unsolved.filter(group_id=gid)) for gid in group_ids},
    )


def _capped(tickets: QuerySet[Ticket]) -> int:
    return tickets.values("pk")[:COUNT_CAP].count()


# --- one ticket ----------------------------------------------------------------------------


def messages_of(ticket: Ticket) -> QuerySet[Message]:
    return (
        Message.objects.filter(ticket=ticket)
        .select_related("author_agent", "author_customer", "channel_account")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    message: Message | None = None
    activity: Activity | None = None


def ticket_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """Messages, notes and changes in the order they happened."""
    entries = [TimelineEntry(at=m.created_at, message=m) for m in messages_of(ticket)]
    activities = Activity.objects.filter(ticket=ticket).exclude(field="created")
    entries += [TimelineEntry(at=a.created_at, activity=a) for a in activities]
    entries.sort(key=lambda e: (e.at, 0 if e.message else 1))
    return entries


@dataclass(frozen=True)
class ParallelConversation:
    """Another open conversation of the same person. ``agents``: who is on it — the
    assignee first, then everyone who has written a reply or a note there, most recent
    first. ``visible``: whether the viewing agent may open it (a ticket of another group
    is still named, with who is on it, but not linked)."""

    ticket: Ticket
    agents: list[str]
    visible: bool = True


MAX_PARALLEL = 10


def parallel_conversations(ticket: Ticket, agent: Agent) -> list[ParallelConversation]:
    """Other unsolved tickets of the same customer in other places — another channel or
    inbox, or the public thread of a private one — so that two agents do not answer one
    person in two places: the customer is "also writing now in …". After customers are
    merged, their tickets share the requester and show here like any other."""
    others = list(
        Ticket.objects.filter(requester_id=ticket.requester_id, status__in=UNSOLVED_STATUSES)
        .exclude(pk=ticket.pk)
        .exclude(channel_account_id=ticket.channel_account_id, is_public=ticket.is_public)
        .select_related("assignee", "channel_account")
        .order_by("-updated_at", "-id")[:MAX_PARALLEL]
    )
    if not others:
        return []
    ids = [other.pk for other in others]
    visible = set(tickets_visible_to(agent).filter(pk__in=ids).values_list("pk", flat=True))
    writers: dict[int, list[str]] = {pk: [] for pk in ids}
    rows = (
        Message.objects.filter(ticket_id__in=ids, author_agent__isnull=False)
        .values("ticket_id", "author_agent__name", "author_agent__email")
        .annotate(last=Max("created_at"))
        .order_by("ticket_id", "-last")
        .values_list("ticket_id", "author_agent__name", "author_agent__email")
    )
    for ticket_id, name, email in rows:
        label = name or email.split("@")[0]
        if label not in writers[ticket_id]:
            writers[ticket_id].append(label)
    result = []
    for other in others:
        names = [other.assignee.display_name] if other.assignee else []
        names += [name for name in writers[other.pk] if name not in names]
        result.append(ParallelConversation(ticket=other, agents=names, visible=other.pk in visible))
    return result


def other_tickets_of_requester(ticket: Ticket, agent: Agent, limit: int = 10) -> list[Ticket]:
    return list(
        tickets_visible_to(agent)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at")[:limit]
    )


# --- customers as agents see them ----------------------------------------------------------


def customers_visible_to(agent: Agent) -> QuerySet[Customer]:
    """Supervisors see every customer; agents those who have a ticket they can see."""
    qs = Customer.objects.filter(merged_into=None)
    if agent.sees_all_tickets:
        return qs
    visible = tickets_visible_to(agent).values("requester_id")
    return qs.filter(pk__in=visible)


def customer_get_for(agent: Agent, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).prefetch_related("identities").first()
    if customer is not None and customer.merged_into_id:
        customer = (
            Customer.objects.filter(pk=customer.merged_into_id)
            .prefetch_related("identities")
            .first()
        )
    if customer is None or not customers_visible_to(agent).filter(pk=customer.pk).exists():
        raise NotFound(f"Customer {customer_id} not found.")
    return customer


def attachment_get_for(agent: Agent, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("message")
        .filter(pk=attachment_id, message__ticket__in=tickets_visible_to(agent))
        .first()
    )
    if attachment is None:
        raise NotFound(f"Attachment {attachment_id} not found.")
    return attachment
