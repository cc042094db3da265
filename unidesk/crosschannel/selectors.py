"""Reads for one customer across channels: what a merge would move, merge suggestions,
links between tickets and a customer's history. Each takes the viewing agent and shows
only what that agent may see (``tickets.selectors`` holds the rule)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from unidesk.accounts.models import Agent, Role
from unidesk.core.errors import NotFound, ValidationFailed
from unidesk.crosschannel.contacts import contacts_in
from unidesk.crosschannel.models import LinkKind, MergeSuggestion, SuggestionState, TicketLink
from unidesk.customers.models import Customer, Identity
from unidesk.tickets.models import Direction, Message, Ticket
from unidesk.tickets.selectors import customer_get_for, customers_visible_to, tickets_visible_to

MAX_CANDIDATES = 20
MAX_PREVIEW_TICKETS = 50


def may_merge_customers(agent: Agent) -> bool:
    """Merging changes who a person is for the whole desk; trainees leave it to others."""
    return agent.is_active and agent.role != Role.TRAINEE


def current_customer(customer: Customer) -> Customer:
    """The customer that stands for ``customer`` now: itself, or the one it was merged
    into (following a chain of merges)."""
    seen = {customer.pk}
    while customer.merged_into_id is not None:
        survivor = Customer.objects.filter(pk=customer.merged_into_id).first()
        if survivor is None or survivor.pk in seen:
            break
        seen.add(survivor.pk)
        customer = survivor
    return customer


# --- merging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergePreview:
    """What merging ``source`` into ``target`` does: ``source`` disappears (its id keeps
    leading to ``target``), and everything below moves."""

    source: Customer
    target: Customer
    identities: list[Identity]
    # The tickets the agent may open (the latest ones, if there are many) and how many
    # there are in all, those in groups the agent does not see included.
    tickets: list[Ticket]
    ticket_count: int
    hidden_tickets: int
    messages: int
    name_after: str
    note_after: str


def merge_pair_for(agent: Agent, source_id: int, target_id: int) -> tuple[Customer, Customer]:
    """Both customers as the agent may see them (a merged id resolves to its survivor);
    NotFound for either one the agent cannot see, ValidationFailed when they are one."""
    source = customer_get_for(agent, source_id)
    target = customer_get_for(agent, target_id)
    if source.pk == target.pk:
        raise ValidationFailed("These are already one customer.", fields={"into": "same_customer"})
    return source, target


def merge_preview(agent: Agent, source_id: int, target_id: int) -> MergePreview:
    source, target = merge_pair_for(agent, source_id, target_id)
    all_tickets = Ticket.objects.filter(requester=source)
    visible = list(
        tickets_visible_to(agent)
        .filter(requester=source)
        .select_related("group", "assignee")
        .order_by("-updated_at", "-id")[:MAX_PREVIEW_TICKETS]
    )
    total = all_tickets.count()
    hidden = total - tickets_visible_to(agent).filter(requester=source).count()
    messages = Message.objects.filter(
        Q(ticket__requester=source) | Q(author_customer=source)
    ).count()
    return MergePreview(
        source=source,
        target=target,
        identities=list(source.identities.all()),
        tickets=visible,
        ticket_count=total,
        hidden_tickets=hidden,
        messages=messages,
        name_after=target.name or source.name,
        note_after=f"{target.note}\n\n{source.note}".strip() if source.note else target.note,
    )


def merge_candidates(agent: Agent, customer: Customer, q: str) -> list[Customer]:
    """Customers the agent could merge ``customer`` with, found by part of a name or an
    identity; a phone number or an address is matched in its stored form, however it is
    typed ("8 912 345-67-89" finds +79123456789)."""
    q = q.strip()[:200]
    if len(q) < 2:
        return []
    condition = Q(name__icontains=q) | Q(identities__value__icontains=q)
    for contact in contacts_in(q):
        condition |= Q(identities__value=contact.value)
    return list(
        customers_visible_to(agent)
        .filter(condition)
        .exclude(pk=customer.pk)
        .distinct()
        .prefetch_related("identities")
        .annotate(ticket_count=Count("tickets", distinct=True))
        .order_by("-updated_at", "-id")[:MAX_CANDIDATES]
    )


# --- suggestions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionView:
    """A pending suggestion as seen from one of its two customers: ``other`` is the
    customer this one may be; ``wrote_here`` tells whether this customer wrote the value
    (else the other one wrote this customer's value)."""

    suggestion: MergeSuggestion
    other: Customer
    wrote_here: bool
    other_tickets: int


def merge_suggestions_for(agent: Agent, customer: Customer) -> list[SuggestionView]:
    """Pending suggestions involving ``customer`` whose other customer the agent can see.
    Nothing for agents who may not merge."""
    if not may_merge_customers(agent):
        return []
    suggestions = list(
        MergeSuggestion.objects.filter(
            Q(customer=customer) | Q(candidate=customer), state=SuggestionState.PENDING
        )
        .select_related("customer", "candidate", "ticket")
        .order_by("-created_at", "-id")[:10]
    )
    if not suggestions:
        return []
    others = {
        s.candidate_id if s.customer_id == customer.pk else s.customer_id for s in suggestions
    }
    # Ticket counts of the other customers the agent can see (the others are left out).
    counts = dict(
        customers_visible_to(agent)
        .filter(pk__in=others)
        .annotate(ticket_count=Count("tickets"))
        .values_list("pk", "ticket_count")
    )
    views = []
    for suggestion in suggestions:
        wrote_here = suggestion.customer_id == customer.pk
        other = suggestion.candidate if wrote_here else suggestion.customer
        if other.pk not in counts or other.merged_into_id is not None:
            continue
        views.append(
            SuggestionView(
                suggestion=suggestion,
                other=other,
                wrote_here=wrote_here,
                other_tickets=counts[other.pk],
            )
        )
    return views


def merge_suggestion_get_for(agent: Agent, suggestion_id: int) -> MergeSuggestion:
    """A pending or decided suggestion the agent may see: both customers visible."""
    suggestion = (
        MergeSuggestion.objects.select_related("customer", "candidate", "ticket")
        .filter(pk=suggestion_id)
        .first()
    )
    if suggestion is None:
        raise NotFound(f"Merge suggestion {suggestion_id} not found.")
    pair = {suggestion.customer_id, suggestion.candidate_id}
    if customers_visible_to(agent).filter(pk__in=pair).count() != len(pair):
        raise NotFound(f"Merge suggestion {suggestion_id} not found.")
    return suggestion


# --- links between tickets -----------------------------------------------------------------


@dataclass(frozen=True)
class LinkView:
    """A link as seen from one ticket. ``relation`` is ``related``, ``duplicate_of`` (this
    ticket was closed as a duplicate of ``other``) or ``duplicated_by`` (``other`` was
    closed as a duplicate of this one). ``visible``: whether the agent may open ``other``."""

    link: TicketLink
    other: Ticket
    relation: str
    visible: bool


def ticket_links_for(agent: Agent, ticket: Ticket) -> list[LinkView]:
    links = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target", "source__assignee", "target__assignee")
        .order_by("created_at", "id")
    )
    if not links:
        return []
    others = [link.target if link.source_id == ticket.pk else link.source for link in links]
    visible = set(
        tickets_visible_to(agent).filter(pk__in=[o.pk for o in others]).values_list("pk", flat=True)
    )
    views = []
    for link, other in zip(links, others, strict=True):
        if link.kind == LinkKind.RELATED:
            relation = "related"
        else:
            relation = "duplicate_of" if link.source_id == ticket.pk else "duplicated_by"
        views.append(
            LinkView(link=link, other=other, relation=relation, visible=other.pk in visible)
        )
    return views


def link_between(ticket: Ticket, other: Ticket) -> TicketLink | None:
    return TicketLink.objects.filter(
        Q(source=ticket, target=other) | Q(source=other, target=ticket)
    ).first()


# --- a customer's history ------------------------------------------------------------------


def customer_messages(agent: Agent, customer: Customer, *, limit: int = 20) -> QuerySet[Message]:
    """The latest messages of the customer's conversations on every channel, newest first,
    from the tickets the agent may see; each knows its ticket and channel."""
    return (
        Message.objects.filter(
            ticket__in=tickets_visible_to(agent).filter(requester=customer),
            direction__in=(Direction.IN, Direction.OUT),
        )
        .select_related("ticket", "channel_account", "author_agent")
        .order_by("-created_at", "-id")[:limit]
    )
