"""The one way in: every channel hands its parsed messages to ``ingest``.

``ingest`` identifies the customer, threads the message to a ticket (or opens one), and
stores message and attachments in one transaction. It is idempotent on
(channel account, external id): a duplicate delivery returns the stored message and
creates nothing, also when two deliveries race.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from unidesk.accounts.models import Group
from unidesk.accounts.selectors import default_group
from unidesk.channels.base import (
    DeliveryUpdate,
    InboundAttachment,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    OutboundEcho,
)
from unidesk.channels.events import ButtonPressed
from unidesk.channels.models import ChannelAccount
from unidesk.core import clock
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.core.events import publish
from unidesk.core.text import one_line
from unidesk.customers.identities import normalize_identity
from unidesk.customers.models import Identity
from unidesk.customers.selectors import identities_found
from unidesk.customers.services import LOOK_UP, NotLookedUp, customer_for_identity
from unidesk.tickets.attachments import attachment_record_missing, files_removed_on_error
from unidesk.tickets.models import (
    DeliveryStatus,
    Direction,
    Message,
    Status,
    Ticket,
    TicketParticipant,
)
from unidesk.tickets.services import (
    NewAttachment,
    message_add_echo,
    message_add_inbound,
    message_edit_inbound,
    message_set_delivery,
    participant_add,
    ticket_open,
)

logger = logging.getLogger("unidesk.ingest")

# Presses of these buttons answer a question we asked (a satisfaction survey), not a new
# question: they are kept on the conversation they belong to, even a solved or closed one,
# and reopen nothing.
ANSWER_BUTTON_PREFIXES = ("csat:",)


def _answers_our_question(inbound: InboundMessage) -> bool:
    button = inbound.metadata.get("button")
    return isinstance(button, str) and button.startswith(ANSWER_BUTTON_PREFIXES)


@dataclass(frozen=True)
class IngestResult:
    message: Message
    ticket: Ticket
    created_ticket: bool = False
    duplicate: bool = False


@dataclass
class _BatchLookups:
    """What ``ingest`` would look up for each message, looked up once for a batch inside its
    transaction (``batch_lookups``) and kept current as the batch stores messages and opens
    tickets. Keys hold database spellings: ids cut to their column, normalised identities."""

    absent: set[tuple[int, str]] = field(default_factory=set)
    identities: dict[tuple[str, str], Identity | None] = field(default_factory=dict)
    threads: dict[tuple[int, str], Ticket | None] = field(default_factory=dict)
    default_group: list[Group | None] = field(default_factory=list)


_lookups: ContextVar[_BatchLookups | None] = ContextVar("ingest_lookups", default=None)


@contextmanager
def batch_lookups(items: list[tuple[ChannelAccount, InboundMessage]]) -> Iterator[None]:
    """Inside the block — which must run inside the batch's transaction, so no other
    writer changes what was read — ``ingest`` of these messages answers from a few queries
    made for all of them instead of several per message."""
    lookups = _BatchLookups()
    ids_by_account: dict[int, set[str]] = {}
    keys_by_account: dict[int, set[str]] = {}
    for account, inbound in items:
        ids_by_account.setdefault(account.pk, set()).add(inbound.external_id[:255])
        if inbound.thread_key:
            keys_by_account.setdefault(account.pk, set()).add(inbound.thread_key[:255])
    for account_id, ids in ids_by_account.items():
        stored = set(
            Message.objects.with_external_id(account_id, *ids)
            .order_by()
            .values_list("external_id", flat=True)
        )
        lookups.absent |= {(account_id, external_id) for external_id in ids - stored}
    lookups.identities = identities_found(
        (inbound.identity.kind, inbound.identity.value) for _, inbound in items
    )
    for account_id, keys in keys_by_account.items():
        lookups.threads.update(_latest_tickets(account_id, keys))
    token = _lookups.set(lookups)
    try:
        yield
    finally:
        _lookups.reset(token)


def batch_lookups_forget() -> None:
    """After a failed message: what it changed was rolled back, so the rest of the batch
    looks things up one by one again."""
    _lookups.set(None)


def _latest_tickets(account_id: int, keys: set[str]) -> dict[tuple[int, str], Ticket | None]:
    latest: dict[str, tuple[datetime, int]] = {}
    for key, ticket_id, created_at in Ticket.objects.filter(
        channel_account_id=account_id, thread_key__in=keys
    ).values_list("thread_key", "id", "created_at"):
        if key not in latest or (created_at, ticket_id) > latest[key]:
            latest[key] = (created_at, ticket_id)
    found: dict[tuple[int, str], Ticket | None] = {(account_id, key): None for key in keys}
    if latest:
        chosen = [ticket_id for _, ticket_id in latest.values()]
        for ticket in Ticket.objects.select_for_update().filter(pk__in=chosen):
            found[(account_id, ticket.thread_key)] = ticket
    return found


def ingest(account: ChannelAccount, inbound: InboundMessage) -> IngestResult:
    if not inbound.external_id:
        raise ValidationFailed("external_id is required.", fields={"external_id": "required"})
    existing = _stored(account, inbound.external_id)
    if existing is not None:
        return IngestResult(message=existing, ticket=existing.ticket, duplicate=True)
    # In a batch, the batch gives each message a savepoint (``ingest_batch``) and answers a
    # lost race by ingesting the message again; a second savepoint here would only cost
    # two more round trips per message.
    in_batch = _lookups.get() is not None
    try:
        with files_removed_on_error(), transaction.atomic(savepoint=not in_batch):
            result = _ingest_new(account, inbound)
    except IntegrityError:
        if in_batch:
            raise
        batch_lookups_forget()
        # Another delivery of the same message committed first.
        existing = _stored(account, inbound.external_id)
        if existing is None:
            raise
        return IngestResult(message=existing, ticket=existing.ticket, duplicate=True)
    _remember(account, inbound, result)
    return result


def ingest_events(account: ChannelAccount, events: list[InboundEvent]) -> list[IngestResult]:
    results = []
    for event in events:
        if isinstance(event, DeliveryUpdate):
            apply_delivery_update(account, event)
        elif isinstance(event, InboundEdit):
            results.append(apply_inbound_edit(account, event))
        elif isinstance(event, OutboundEcho):
            results.append(ingest_echo(account, event))
        else:
            results.append(ingest(account, event))
    return results


def apply_inbound_edit(account: ChannelAccount, edit: InboundEdit) -> IngestResult:
    """Show the customer's new version of a stored message (history kept). An edit of a
    message we never received is ingested as that message."""
    stored = _stored(account, edit.message.external_id)
    if stored is None:
        return ingest(account, edit.message)
    message = message_edit_inbound(
        message=stored, text=edit.message.text, html=edit.message.html, edited_at=edit.edited_at
    )
    return IngestResult(message=message, ticket=message.ticket)


def ingest_echo(account: ChannelAccount, echo: OutboundEcho) -> IngestResult:
    """Record a message our side sent outside unidesk as outgoing, on the conversation it
    belongs to (or a new one). Idempotent on the external id like ``ingest``, so the echo
    of a reply unidesk itself sent is recognised and creates nothing."""
    if not echo.external_id:
        raise ValidationFailed("external_id is required.", fields={"external_id": "required"})
    existing = _stored(account, echo.external_id)
    if existing is not None:
        return IngestResult(message=existing, ticket=existing.ticket, duplicate=True)
    try:
        with files_removed_on_error(), transaction.atomic():
            return _ingest_echo_new(account, echo)
    except IntegrityError:
        existing = _stored(account, echo.external_id)
        if existing is None:
            raise
        return IngestResult(message=existing, ticket=existing.ticket, duplicate=True)


def _ingest_echo_new(account: ChannelAccount, echo: OutboundEcho) -> IngestResult:
    identified = customer_for_identity(kind=echo.recipient.kind, value=echo.recipient.value)
    probe = InboundMessage(
        external_id=echo.external_id,
        identity=echo.recipient,
        thread_key=echo.thread_key,
        text=echo.text,
        attachments=echo.attachments,
    )
    ticket = _thread(account, probe)
    created = ticket is None
    if ticket is None:
        ticket = ticket_open(
            requester=identified.customer,
            requester_identity=identified.identity,
            actor=Actor.system(account.name),
            subject=_subject_from_text(probe),
            channel_account_id=account.pk,
            channel=account.kind,
            thread_key=echo.thread_key,
            group=account.group or default_group(),
            is_public=echo.is_public,
        )
    message = message_add_echo(
        ticket=ticket,
        text=echo.text,
        channel_account_id=account.pk,
        external_id=echo.external_id,
        author_name=echo.author_name or account.name,
        sent_at=echo.sent_at,
        attachments=_kept(echo.attachments),
        metadata=dict(echo.metadata),
    )
    _record_missing(message, echo.attachments)
    return IngestResult(message=message, ticket=ticket, created_ticket=created)


def _kept(attachments: tuple[InboundAttachment, ...]) -> list[NewAttachment]:
    return [
        NewAttachment(
            filename=a.filename,
            data=a.data or b"",
            content_type=a.content_type,
            content_id=a.content_id,
            inline=a.inline,
        )
        for a in attachments
        if a.data is not None and not a.error
    ]


def _record_missing(message: Message, attachments: tuple[InboundAttachment, ...]) -> None:
    for missing in attachments:
        if missing.data is None or missing.error:
            attachment_record_missing(
                message=message,
                filename=missing.filename,
                reason=missing.error or "the channel did not deliver the file",
                size=missing.size,
                content_type=missing.content_type,
            )


def _remember(account: ChannelAccount, inbound: InboundMessage, result: IngestResult) -> None:
    """Keep the batch's lookups current after a message was stored."""
    lookups = _lookups.get()
    if lookups is None:
        return
    lookups.absent.discard((account.pk, inbound.external_id[:255]))
    if inbound.thread_key and result.created_ticket:
        lookups.threads[(account.pk, inbound.thread_key[:255])] = result.ticket


def _remember_identity(identity: Identity) -> None:
    """The batch's later messages from this sender find the identity just found or created
    (a failed message makes the batch forget its lookups, so nothing rolled back stays)."""
    lookups = _lookups.get()
    if lookups is not None:
        lookups.identities[(identity.kind, identity.value)] = identity


def _stored(account: ChannelAccount, external_id: str) -> Message | None:
    lookups = _lookups.get()
    if lookups is not None and (account.pk, external_id[:255]) in lookups.absent:
        return None
    # Asked for every message and almost always answered "no": the cheapest query first.
    found = (
        Message.objects.with_external_id(account.pk, external_id)
        .order_by()
        .values_list("pk", flat=True)[:1]
    )
    pk = next(iter(found), None)
    if pk is None:
        return None
    return Message.objects.select_related("ticket").get(pk=pk)


def _known_identity(inbound: InboundMessage) -> Identity | NotLookedUp | None:
    lookups = _lookups.get()
    if lookups is None:
        return LOOK_UP
    try:
        value = normalize_identity(inbound.identity.kind, inbound.identity.value)
    except ValidationFailed:
        return LOOK_UP
    return lookups.identities.get((inbound.identity.kind, value), LOOK_UP)


def _group_for(account: ChannelAccount) -> Group | None:
    if account.group is not None:
        return account.group
    lookups = _lookups.get()
    if lookups is None:
        return default_group()
    if not lookups.default_group:
        lookups.default_group.append(default_group())
    return lookups.default_group[0]


def _ingest_new(account: ChannelAccount, inbound: InboundMessage) -> IngestResult:
    identified = customer_for_identity(
        kind=inbound.identity.kind,
        value=inbound.identity.value,
        name=inbound.name,
        known=_known_identity(inbound),
    )
    _remember_identity(identified.identity)
    customer = identified.customer
    answer = _answers_our_question(inbound)
    ticket = _thread(account, inbound, any_status=answer)
    created = ticket is None
    if ticket is None:
        ticket = ticket_open(
            requester=customer,
            requester_identity=identified.identity,
            actor=Actor.for_customer(customer),
            subject=inbound.subject or _subject_from_text(inbound),
            channel_account_id=account.pk,
            channel=account.kind,
            thread_key=inbound.thread_key,
            group=_group_for(account),
            is_public=inbound.is_public,
            customer_message_at=clock.now(),
        )
    kept = [a for a in inbound.attachments if a.data is not None and not a.error]
    message = message_add_inbound(
        ticket=ticket,
        customer=customer,
        text=inbound.text,
        html=inbound.html,
        channel_account_id=account.pk,
        external_id=inbound.external_id,
        sent_at=inbound.sent_at,
        metadata=dict(inbound.metadata),
        author_name=inbound.name,
        attachments=[
            NewAttachment(
                filename=a.filename,
                data=a.data or b"",
                content_type=a.content_type,
                content_id=a.content_id,
                inline=a.inline,
            )
            for a in kept
        ],
        reopen=not (inbound.auto_reply or answer),
        fresh_ticket=created,
    )
    for missing in inbound.attachments:
        if missing.data is None or missing.error:
            attachment_record_missing(
                message=message,
                filename=missing.filename,
                reason=missing.error or "the channel did not deliver the file",
                size=missing.size,
                content_type=missing.content_type,
            )
    _add_participants(ticket, inbound, identified.identity, customer)
    button = inbound.metadata.get("button")
    if isinstance(button, str) and button:
        publish(
            ButtonPressed(
                message_id=message.pk,
                ticket_id=ticket.pk,
                data=button[:1000],
                actor=Actor.for_customer(customer),
            )
        )
    return IngestResult(message=message, ticket=ticket, created_ticket=created)


def _subject_from_text(inbound: InboundMessage) -> str:
    first_line = next((line for line in inbound.text.splitlines() if line.strip()), "")
    if first_line:
        return one_line(first_line, 80)
    if inbound.attachments:
        return one_line(inbound.attachments[0].filename, 80)
    return ""


def _thread(
    account: ChannelAccount, inbound: InboundMessage, *, any_status: bool = False
) -> Ticket | None:
    """The ticket this message continues, or None for a new one.

    References (email In-Reply-To/References) win over the thread key (the chat). A closed
    ticket is never reopened; a solved one only within the reopen window. ``any_status``
    keeps a message on its conversation whatever its status (it will not reopen it)."""
    candidate: Ticket | None = None
    if inbound.references:
        earlier = (
            Message.objects.with_external_id(account.pk, *list(inbound.references)[-100:])
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if earlier is not None:
            candidate = Ticket.objects.select_for_update().filter(pk=earlier).first()
    if candidate is None and inbound.ticket_number:
        quoted = _quoted_ticket_of_participant(account, inbound)
        if quoted is not None:
            candidate = Ticket.objects.select_for_update().filter(pk=quoted).first()
    lookups = _lookups.get()
    thread = (account.pk, inbound.thread_key[:255])
    if candidate is None and lookups is not None and thread in lookups.threads:
        candidate = lookups.threads[thread]
    elif candidate is None and inbound.thread_key:
        candidate = (
            Ticket.objects.select_for_update()
            .filter(channel_account=account, thread_key=inbound.thread_key[:255])
            .order_by("-created_at", "-id")
            .first()
        )
    if candidate is None or not (any_status or _accepts_reply(account, candidate)):
        return None
    return candidate


def _quoted_ticket_of_participant(account: ChannelAccount, inbound: InboundMessage) -> int | None:
    """The ticket (of this channel kind) whose number the sender quoted, when the sender is
    its requester or one of its participants: a stranger quoting a number does not get
    into someone else's ticket."""
    if inbound.ticket_number is None:
        return None
    ticket = (
        Ticket.objects.filter(number=inbound.ticket_number, channel=account.kind)
        .values_list("id", "requester_id")
        .first()
    )
    if ticket is None:
        return None
    ticket_id, requester_id = ticket
    try:
        value = normalize_identity(inbound.identity.kind, inbound.identity.value)
    except ValidationFailed:
        return None
    sender = (
        Identity.objects.filter(kind=inbound.identity.kind, value=value)
        .values_list("id", "customer_id")
        .first()
    )
    if sender is None:
        return None
    identity_id, customer_id = sender
    if customer_id == requester_id:
        return ticket_id
    is_participant = TicketParticipant.objects.filter(
        ticket_id=ticket_id, identity_id=identity_id
    ).exists()
    return ticket_id if is_participant else None


def reopen_window(account: ChannelAccount) -> timedelta:
    days = account.settings.get("reopen_window_days", settings.UNIDESK["REOPEN_WINDOW_DAYS"])
    try:
        return timedelta(days=float(days))
    except (TypeError, ValueError):
        return timedelta(days=settings.UNIDESK["REOPEN_WINDOW_DAYS"])


def _accepts_reply(account: ChannelAccount, ticket: Ticket) -> bool:
    if ticket.status == Status.CLOSED:
        return False
    if ticket.status == Status.SOLVED:
        solved_at = ticket.solved_at or ticket.updated_at
        return clock.now() - solved_at <= reopen_window(account)
    return True


def _add_participants(
    ticket: Ticket, inbound: InboundMessage, sender: Identity, customer: object
) -> None:
    for ref in inbound.cc:
        if (ref.kind, ref.value) == (sender.kind, sender.value):
            continue
        try:
            identified = customer_for_identity(kind=ref.kind, value=ref.value)
        except ValidationFailed:
            logger.info("skipping an unusable cc address on ticket %s", ticket.pk)
            continue
        if identified.customer.pk == ticket.requester_id:
            continue
        participant_add(ticket=ticket, identity=identified.identity, actor=Actor.system())


_STATUS_RANK: dict[str, int] = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}


def apply_delivery_update(account: ChannelAccount, update: DeliveryUpdate) -> bool:
    """Apply a platform's status report to our outgoing message. Statuses only move
    forward (a late "delivered" does not undo "read"); returns whether anything changed."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .with_external_id(account.pk, update.external_id)
            .filter(direction=Direction.OUT)
            .first()
        )
        if message is None:
            return False
        if update.status == DeliveryStatus.FAILED:
            if message.delivery_status == DeliveryStatus.FAILED:
                return False
        elif _STATUS_RANK.get(update.status, 0) <= _STATUS_RANK.get(message.delivery_status, -1):
            return False
        message_set_delivery(message=message, status=update.status, error=update.error)
    return True
