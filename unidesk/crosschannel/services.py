"""Writes for one customer across channels: merging customers on an agent's word,
suggesting merges from what customers write, linking tickets and closing duplicates."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelKind
from unidesk.channels.services import automatic_message_send
from unidesk.core import clock
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from unidesk.core.events import publish
from unidesk.crosschannel.contacts import Contact, contacts_in
from unidesk.crosschannel.events import (
    MergeSuggested,
    TicketClosedAsDuplicate,
    TicketsLinked,
    TicketsUnlinked,
)
from unidesk.crosschannel.language import customer_language
from unidesk.crosschannel.models import LinkKind, MergeSuggestion, SuggestionState, TicketLink
from unidesk.crosschannel.selectors import current_customer, link_between, may_merge_customers
from unidesk.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from unidesk.tickets.models import Direction, Message, Origin, Status, Ticket
from unidesk.tickets.selectors import customers_visible_to
from unidesk.tickets.services import activity_record, customer_merge, ticket_update

logger = logging.getLogger("unidesk.crosschannel")

MAX_LINKS_PER_TICKET: Final = 50


# --- merging -------------------------------------------------------------------------------


def customers_merge(*, source: Customer, target: Customer, agent: Agent) -> CustomerMerge:
    """An agent merges ``source`` into ``target`` (see ``tickets.services.customer_merge``
    for what moves). Refused for trainees (403) and, as if they did not exist, for
    customers the agent cannot see (404)."""
    if not may_merge_customers(agent):
        raise PermissionDenied(_("Only agents, supervisors and administrators merge customers."))
    pair = {source.pk, target.pk}
    if customers_visible_to(agent).filter(pk__in=pair).count() != len(pair):
        raise NotFound("Customer not found.")
    return customer_merge(source=source, target=target, actor=Actor.for_agent(agent))


def suggestions_follow_merge(*, source_id: int, target_id: int, actor: Actor) -> None:
    """After ``source`` was merged into ``target``: a suggestion about the two of them is
    settled, and the source's other suggestions now concern the target (or go, when the
    target already has the same one or they would pair the target with itself)."""
    now = clock.now()
    with transaction.atomic():
        MergeSuggestion.objects.filter(
            Q(customer_id=source_id, candidate_id=target_id)
            | Q(customer_id=target_id, candidate_id=source_id),
            state=SuggestionState.PENDING,
        ).update(state=SuggestionState.MERGED, decided_at=now, decided_by_id=actor.agent_id)
        moving = MergeSuggestion.objects.select_for_update().filter(
            Q(customer_id=source_id) | Q(candidate_id=source_id)
        )
        for suggestion in moving.exclude(customer_id=target_id).exclude(candidate_id=target_id):
            customer_id = (
                target_id if suggestion.customer_id == source_id else suggestion.customer_id
            )
            candidate_id = (
                target_id if suggestion.candidate_id == source_id else suggestion.candidate_id
            )
            if customer_id == candidate_id or _pair_exists(customer_id, candidate_id):
                suggestion.delete()
                continue
            suggestion.customer_id, suggestion.candidate_id = customer_id, candidate_id
            suggestion.save(update_fields=["customer", "candidate"])


def _pair_exists(first_id: int, second_id: int) -> bool:
    return MergeSuggestion.objects.filter(
        Q(customer_id=first_id, candidate_id=second_id)
        | Q(customer_id=second_id, candidate_id=first_id)
    ).exists()


# --- suggestions ---------------------------------------------------------------------------

_PHONE_KINDS = (IdentityKind.PHONE, IdentityKind.WHATSAPP)


def suggest_merges_for_message(*, message_id: int) -> list[MergeSuggestion]:
    """Look for phone numbers and addresses in a customer's message; for each one that
    is another customer's identity, suggest merging the two. Runs after the message is
    stored (a background subscriber), never inside ingestion."""
    message = (
        Message.objects.select_related("author_customer", "ticket").filter(pk=message_id).first()
    )
    if message is None or message.direction != Direction.IN or message.author_customer is None:
        return []
    contacts = contacts_in("\n".join(_texts_of(message)))
    if not contacts:
        return []
    customer = current_customer(message.author_customer)
    created = []
    for identity, contact in _owners(contacts, exclude=customer):
        candidate = current_customer(identity.customer)
        if candidate.pk == customer.pk:
            continue
        suggestion = _suggest(customer, candidate, contact, message)
        if suggestion is not None:
            created.append(suggestion)
    return created


def message_names_contacts(message_id: int) -> bool:
    """Whether a customer's message names a phone number or an address at all: asked when
    the message is stored, so that the far more common message naming none costs one
    lookup rather than a background task."""
    # Plain SQL: asked for every message stored, and building the ORM query cost twenty
    # times what the database spends answering it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT text, metadata FROM {Message._meta.db_table} "  # noqa: S608 (no input)
            "WHERE id = %s AND direction = %s AND author_customer_id IS NOT NULL",
            [message_id, Direction.IN.value],
        )
        found = cursor.fetchone()
    if found is None:
        return False
    text, metadata = found
    if isinstance(metadata, str):  # SQLite hands JSON back as text
        metadata = json.loads(metadata or "{}")
    return bool(contacts_in("\n".join(_texts(text, metadata))))


def _texts_of(message: Message) -> Iterable[str]:
    return _texts(message.text, message.metadata)


def _texts(text: str, metadata: dict[str, object] | None) -> Iterable[str]:
    yield text
    # A pre-chat form (or another structured source) puts the customer's answers in
    # ``metadata["form"]`` as {"field": "value"}.
    form = (metadata or {}).get("form")
    if isinstance(form, dict):
        yield from (str(value) for value in form.values() if isinstance(value, str | int))


def _owners(contacts: list[Contact], *, exclude: Customer) -> list[tuple[Identity, Contact]]:
    by_value = {(c.kind, c.value): c for c in contacts}
    phones = [c.value for c in contacts if c.kind == IdentityKind.PHONE]
    emails = [c.value for c in contacts if c.kind == IdentityKind.EMAIL]
    identities = (
        Identity.objects.filter(
            Q(kind=IdentityKind.EMAIL, value__in=emails)
            | Q(kind__in=_PHONE_KINDS, value__in=phones)
        )
        .exclude(customer=exclude)
        .select_related("customer")
        .order_by("id")
    )
    found = []
    for identity in identities:
        kind = IdentityKind.PHONE if identity.kind in _PHONE_KINDS else identity.kind
        found.append((identity, by_value[(kind, identity.value)]))
    return found


def _suggest(
    customer: Customer, candidate: Customer, contact: Contact, message: Message
) -> MergeSuggestion | None:
    if _pair_exists(customer.pk, candidate.pk):
        return None
    try:
        with transaction.atomic():
            suggestion = MergeSuggestion.objects.create(
                customer=customer,
                candidate=candidate,
                kind=contact.kind,
                value=contact.value,
                written=contact.written[:320],
                message=message,
                ticket_id=message.ticket_id,
                created_at=clock.now(),
            )
            publish(
                MergeSuggested(
                    suggestion_id=suggestion.pk, customer_id=customer.pk, candidate_id=candidate.pk
                )
            )
    except IntegrityError:
        # The same suggestion was made by another worker a moment ago.
        return None
    return suggestion


def merge_suggestion_dismiss(*, suggestion: MergeSuggestion, agent: Agent) -> MergeSuggestion:
    """The agent says the two are different people; the pair is not suggested again."""
    if not may_merge_customers(agent):
        raise PermissionDenied(_("Only agents, supervisors and administrators merge customers."))
    with transaction.atomic():
        locked = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.state == SuggestionState.MERGED:
            raise Conflict(_("These customers have already been merged."))
        if locked.state == SuggestionState.PENDING:
            locked.state = SuggestionState.DISMISSED
            locked.decided_at = clock.now()
            locked.decided_by = agent
            locked.save(update_fields=["state", "decided_at", "decided_by"])
    return locked


# --- links between tickets -----------------------------------------------------------------


def _locked_pair(ticket: Ticket, other: Ticket) -> tuple[Ticket, Ticket]:
    if ticket.pk == other.pk:
        raise ValidationFailed(
            _("A ticket cannot be linked to itself."), fields={"ticket": "same_ticket"}
        )
    # In id order, so two agents linking the same pair from both ends cannot deadlock.
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "channel_account")
        .filter(pk__in=[ticket.pk, other.pk])
        .order_by("pk")
    }
    return rows[ticket.pk], rows[other.pk]


def _check_room(ticket: Ticket) -> None:
    count = TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).count()
    if count >= MAX_LINKS_PER_TICKET:
        raise ValidationFailed(
            _("Ticket %(ref)s already has %(n)s links, the most a ticket can have.")
            % {"ref": ticket.reference, "n": MAX_LINKS_PER_TICKET},
            fields={"ticket": "too_many_links"},
        )


def _touch(*tickets: Ticket) -> None:
    now = clock.now()
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(updated_at=now)
    for ticket in tickets:
        ticket.updated_at = now


def ticket_link(*, ticket: Ticket, other: Ticket, agent: Agent) -> TicketLink:
    """Mark two tickets as related (the same problem, the same order…). Linking tickets
    that are already linked changes nothing. Both tickets record it."""
    actor = Actor.for_agent(agent)
    with transaction.atomic():
        ticket, other = _locked_pair(ticket, other)
        existing = link_between(ticket, other)
        if existing is not None:
            return existing
        _check_room(ticket)
        _check_room(other)
        low, high = sorted((ticket, other), key=lambda t: t.pk)
        link = TicketLink.objects.create(
            source=low, target=high, kind=LinkKind.RELATED, created_by=agent, created_at=clock.now()
        )
        activity_record(ticket=ticket, actor=actor, field="linked", old="", new=other.reference)
        activity_record(ticket=other, actor=actor, field="linked", old="", new=ticket.reference)
        _touch(ticket, other)
        publish(
            TicketsLinked(
                ticket_id=ticket.pk, other_id=other.pk, kind=LinkKind.RELATED, actor=actor
            )
        )
    return link


def ticket_unlink(*, ticket: Ticket, other: Ticket, agent: Agent) -> bool:
    """Remove the link between two tickets (a closed duplicate stays closed). Returns
    whether there was one."""
    actor = Actor.for_agent(agent)
    with transaction.atomic():
        ticket, other = _locked_pair(ticket, other)
        link = link_between(ticket, other)
        if link is None:
            return False
        link.delete()
        activity_record(ticket=ticket, actor=actor, field="unlinked", old=other.reference, new="")
        activity_record(ticket=other, actor=actor, field="unlinked", old=ticket.reference, new="")
        _touch(ticket, other)
        publish(TicketsUnlinked(ticket_id=ticket.pk, other_id=other.pk, actor=actor))
    return True


@dataclass(frozen=True)
class DuplicateClosed:
    ticket: Ticket
    original: Ticket
    link: TicketLink
    # The message that told the customer, or None (not asked for, or the channel does not
    # take a message now: WhatsApp after 24 hours, a phone call).
    notice: Message | None


def ticket_close_as_duplicate(
    *, ticket: Ticket, original: Ticket, agent: Agent, notify: bool = True
) -> DuplicateClosed:
    """Close ``ticket`` because the same customer asked the same thing in ``original``
    (often on another channel). With ``notify``, the customer is told in this ticket's
    channel, in their language, where the conversation continues. Both tickets record it."""
    actor = Actor.for_agent(agent)
    with transaction.atomic():
        ticket, original = _locked_pair(ticket, original)
        _check_duplicate(ticket, original)
        existing = link_between(ticket, original)
        if existing is not None:
            existing.delete()
        else:
            _check_room(ticket)
            _check_room(original)
        link = TicketLink.objects.create(
            source=ticket,
            target=original,
            kind=LinkKind.DUPLICATE,
            created_by=agent,
            created_at=clock.now(),
        )
        activity_record(
            ticket=ticket, actor=actor, field="duplicate_of", old="", new=original.reference
        )
        activity_record(
            ticket=original, actor=actor, field="duplicate", old="", new=ticket.reference
        )
        notice = None
        if notify:
            notice = automatic_message_send(
                ticket=ticket,
                text=duplicate_notice(ticket, original),
                origin=Origin.SYSTEM,
                author_name=agent.display_name,
                metadata={"duplicate_of": original.pk},
            )
        closed = ticket_update(ticket=ticket, actor=actor, status=Status.CLOSED)
        _touch(original)
        publish(
            TicketClosedAsDuplicate(
                ticket_id=ticket.pk,
                original_id=original.pk,
                actor=actor,
                notice_id=notice.pk if notice else None,
            )
        )
    return DuplicateClosed(ticket=closed, original=original, link=link, notice=notice)


def _check_duplicate(ticket: Ticket, original: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise Conflict(
            _("Ticket %(ref)s is already closed.") % {"ref": ticket.reference},
            fields={"ticket": "closed"},
        )
    if original.status == Status.CLOSED:
        raise Conflict(
            _(
                "Ticket %(ref)s is closed, so the conversation cannot continue there. "
                "Choose an open ticket."
            )
            % {"ref": original.reference},
            fields={"original": "closed"},
        )
    if ticket.requester_id != original.requester_id:
        raise ValidationFailed(
            _(
                "A ticket can only be a duplicate of another ticket of the same customer. "
                "If they are one person, merge the customers first."
            ),
            fields={"original": "other_customer"},
        )


def _where(kind: str) -> str:
    """Where a conversation happens, as said to the customer: "in Telegram"."""
    places: dict[str, str] = {
        ChannelKind.EMAIL: pgettext("where we talk", "by email"),
        ChannelKind.WEBCHAT: pgettext("where we talk", "in the chat on our website"),
        ChannelKind.TELEGRAM: pgettext("where we talk", "in Telegram"),
        ChannelKind.WHATSAPP: pgettext("where we talk", "in WhatsApp"),
        ChannelKind.VK: pgettext("where we talk", "on VK"),
        ChannelKind.FACEBOOK: pgettext("where we talk", "in Facebook Messenger"),
        ChannelKind.INSTAGRAM: pgettext("where we talk", "on Instagram"),
        ChannelKind.PHONE: pgettext("where we talk", "by phone"),
    }
    return places.get(kind, "")


def duplicate_notice(ticket: Ticket, original: Ticket) -> str:
    """What the customer is told in the duplicate's channel, in their language."""
    language = customer_language(ticket.requester, ticket)
    with translation.override(language):
        place = _where(original.channel)
        if original.channel != ticket.channel and place:
            return _(
                "Thank you! You have already written to us about this %(place)s, and we "
                "will answer you there. We are closing this conversation so that you do "
                "not get two answers."
            ) % {"place": place}
        return _(
            "Thank you! We already have your earlier message about this and will answer "
            "it in that conversation (%(ref)s). We are closing this one so that you do "
            "not get two answers."
        ) % {"ref": original.reference}
