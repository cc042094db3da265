"""What the workspace pages show, gathered from the domain selectors (which hold the
permission rules) together with the joins each page needs, so that a page costs the same
number of queries however many rows it lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent, Group
from unidesk.accounts.selectors import agents_active, groups_of, groups_visible_to
from unidesk.core.pagination import Page
from unidesk.crosschannel.selectors import (
    LinkView,
    SuggestionView,
    customer_messages,
    may_merge_customers,
    merge_suggestions_for,
    ticket_links_for,
)
from unidesk.customers.models import Customer, Identity
from unidesk.tickets.models import Message, Status, Tag, Ticket, TicketParticipant
from unidesk.tickets.selectors import (
    COUNT_CAP,
    ParallelConversation,
    TicketFilters,
    TimelineEntry,
    customer_get_for,
    inbox_counts,
    other_tickets_of_requester,
    parallel_conversations,
    ticket_get_by_number_for,
    ticket_page,
    ticket_timeline,
    tickets_visible_to,
)
from unidesk.workspace.forms import ListQuery

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str
    unsolved: int

    @property
    def unsolved_shown(self) -> str:
        return f"{COUNT_CAP}+" if self.unsolved >= COUNT_CAP else str(self.unsolved)


def inbox_views(agent: Agent) -> list[InboxView]:
    """The inbox tabs with their unsolved counts (see ``forms.inbox_view_keys``)."""
    groups = list(groups_of(agent))
    counts = inbox_counts(agent, [group.pk for group in groups])
    views = [
        InboxView("mine", _("Mine"), counts.mine),
        InboxView("unassigned", _("Unassigned"), counts.unassigned),
    ]
    views += [InboxView(f"group:{g.pk}", g.name, counts.groups[g.pk]) for g in groups]
    if counts.all is not None:
        views.append(InboxView("all", _("All"), counts.all))
    return views


def _with_customers(page: Page[Ticket]) -> Page[Ticket]:
    """Set ``requester_label`` on each row: the customer's name, or for a customer without
    one an address — fetched in one query, only for those."""
    nameless = {t.requester_id for t in page.items if not t.requester.name}
    addresses: dict[int, str] = {}
    if nameless:
        for customer_id, value in (
            Identity.objects.filter(customer_id__in=nameless)
            .order_by("customer_id", "kind", "value")
            .values_list("customer_id", "value")
        ):
            addresses.setdefault(customer_id, value)
    for ticket in page.items:
        ticket.requester_label = ticket.requester.name or addresses.get(  # type: ignore[attr-defined]
            ticket.requester_id, ""
        )
    return page


def ticket_list(agent: Agent, query: ListQuery, *, limit: int = PAGE_SIZE) -> Page[Ticket]:
    filters = TicketFilters(view=query.view, status=query.status, q=query.q)
    page = ticket_page(agent, filters, sort=query.sort, cursor=query.cursor, limit=limit)
    return _with_customers(page)


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    tags: list[Tag]
    timeline: list[TimelineEntry]
    customer: Customer
    identities: list[Identity]
    other_tickets: list[Ticket]
    parallel: list[ParallelConversation]
    groups: list[Group]
    agents: list[Agent]
    links: list[LinkView] = field(default_factory=list)
    suggestions: list[SuggestionView] = field(default_factory=list)
    participants: list[TicketParticipant] = field(default_factory=list)
    # The customer's other tickets this one can be closed as a duplicate of.
    duplicate_choices: list[Ticket] = field(default_factory=list)
    can_merge: bool = False
    # Each message names its channel when the person writes through more than one.
    show_channels: bool = False


def ticket_detail(agent: Agent, number: int) -> TicketDetail:
    """Everything the ticket page shows; NotFound for a ticket the agent may not see."""
    ticket = ticket_get_by_number_for(agent, number)
    prefetch_related_objects([ticket], "tags", "requester__identities")
    customer = ticket.requester
    identities = list(customer.identities.all())
    timeline = ticket_timeline(ticket)
    channels = {e.message.channel_account_id for e in timeline if e.message is not None}
    return TicketDetail(
        ticket=ticket,
        tags=list(ticket.tags.all()),
        timeline=timeline,
        customer=customer,
        identities=identities,
        other_tickets=other_tickets_of_requester(ticket, agent),
        parallel=parallel_conversations(ticket, agent),
        groups=list(groups_visible_to(agent)),
        agents=list(agents_active()),
        links=ticket_links_for(agent, ticket),
        suggestions=merge_suggestions_for(agent, customer),
        participants=list(
            TicketParticipant.objects.filter(ticket=ticket)
            .select_related("identity")
            .order_by("role", "added_at", "id")
        ),
        duplicate_choices=list(
            tickets_visible_to(agent)
            .filter(requester=customer)
            .exclude(pk=ticket.pk)
            .exclude(status=Status.CLOSED)
            .order_by("-updated_at", "-id")[:20]
        ),
        can_merge=may_merge_customers(agent),
        show_channels=len({i.kind for i in identities}) > 1 or len(channels - {None}) > 1,
    )


@dataclass(frozen=True)
class CustomerDetail:
    customer: Customer
    identities: list[Identity]
    tickets: Page[Ticket]
    suggestions: list[SuggestionView] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    can_merge: bool = False


def customer_detail(agent: Agent, customer_id: int, *, cursor: str | None) -> CustomerDetail:
    """A customer and their tickets (every status); NotFound when the agent sees none of
    them. A merged customer resolves to the one it was merged into."""
    customer = customer_get_for(agent, customer_id)
    filters = TicketFilters(customer_id=customer.pk, status="all")
    tickets = ticket_page(agent, filters, cursor=cursor, limit=PAGE_SIZE)
    if cursor is not None:
        # Only the next rows of the ticket list are shown.
        return CustomerDetail(customer=customer, identities=[], tickets=tickets)
    return CustomerDetail(
        customer=customer,
        identities=list(customer.identities.all()),
        tickets=tickets,
        suggestions=merge_suggestions_for(agent, customer),
        messages=list(customer_messages(agent, customer)),
        can_merge=may_merge_customers(agent),
    )
