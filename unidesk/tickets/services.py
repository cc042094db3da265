"""Writes for tickets and messages.

Building blocks used by ingestion and the outbox (``ticket_open``,
``message_add_inbound``, ``message_add_outbound``) expect to be called inside the caller's
transaction; services an agent triggers directly open their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.db import connection, transaction
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent, Group
from unidesk.core import clock
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, ValidationFailed
from unidesk.core.events import publish
from unidesk.core.text import html_to_text, one_line, sanitize_html, strip_control_characters
from unidesk.customers.models import Customer, CustomerMerge, Identity
from unidesk.tickets.attachments import attachment_store
from unidesk.tickets.events import (
    CustomersMerged,
    DeliveryChanged,
    MessageEdited,
    MessageReceived,
    NoteAdded,
    OutboundRecorded,
    ReplyQueued,
    TicketCreated,
    TicketUpdated,
)
from unidesk.tickets.models import (
    Activity,
    DeliveryStatus,
    Direction,
    Message,
    Origin,
    ParticipantRole,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketParticipant,
)

FIRST_TICKET_NUMBER: Final = 1001
MAX_TEXT: Final = 200_000
MAX_TAGS: Final = 50


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    data: bytes
    content_type: str = ""
    content_id: str = ""
    inline: bool = False


def next_ticket_number() -> int:
    """Human ticket numbers. PostgreSQL hands them out from a sequence (no lock, gaps on
    rollback); SQLite serialises writers, so max + 1 inside the transaction is safe."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('tickets_ticket_number_seq')")
            return int(cursor.fetchone()[0])
    # Plain SQL: asked for every new ticket, and the ORM's aggregate cost ten times what
    # SQLite spends reading the last entry of the unique index.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(number) FROM {Ticket._meta.db_table}")  # noqa: S608
        current = cursor.fetchone()[0]
    return max(FIRST_TICKET_NUMBER, (current or 0) + 1)


def _record(ticket: Ticket, actor: Actor, field: str, old: Any, new: Any) -> Activity:
    return Activity.objects.create(
        ticket=ticket,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name[:200],
        field=field,
        old_value=one_line(str(old or ""), 300),
        new_value=one_line(str(new or ""), 300),
        created_at=clock.now(),
    )


def activity_record(*, ticket: Ticket, actor: Actor, field: str, old: Any, new: Any) -> Activity:
    """Add one entry to a ticket's activity log, for changes made by other apps' services
    (links between tickets, say). Call inside the caller's transaction."""
    return _record(ticket, actor, field, old, new)


def _clean_text(text: str) -> str:
    text = strip_control_characters(text or "").replace("\r\n", "\n")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            _("The message is longer than %(limit)s characters.") % {"limit": MAX_TEXT},
            fields={"text": "too_long"},
        )
    return text


def _texts(text: str, html: str) -> tuple[str, str]:
    """Both views of a message: sanitised HTML (may be empty) and plain text."""
    safe_html = sanitize_html(html) if html else ""
    plain = _clean_text(text) if text else html_to_text(safe_html)
    return plain, safe_html


def _store_attachments(message: Message, attachments: Iterable[NewAttachment]) -> None:
    for item in attachments:
        attachment_store(
            message=message,
            filename=item.filename,
            data=item.data,
            content_type=item.content_type,
            content_id=item.content_id,
            inline=item.inline,
        )


# --- building blocks for ingestion and the outbox -------------------------------------------


def ticket_open(
    *,
    requester: Customer,
    actor: Actor,
    requester_identity: Identity | None = None,
    subject: str = "",
    channel_account_id: int | None = None,
    channel: str = "",
    thread_key: str = "",
    group: Group | None = None,
    is_public: bool = False,
    priority: int = Priority.NORMAL,
    customer_message_at: datetime | None = None,
) -> Ticket:
    """Create a ticket. Call inside a transaction. ``customer_message_at``: the ticket is
    opened by a customer's message written at that moment (see ``message_add_inbound``'s
    ``fresh_ticket``)."""
    now = customer_message_at or clock.now()
    ticket = Ticket.objects.create(
        number=next_ticket_number(),
        subject=one_line(subject, 300),
        requester=requester,
        requester_identity=requester_identity,
        channel_account_id=channel_account_id,
        channel=channel,
        thread_key=thread_key[:255],
        group=group,
        is_public=is_public,
        priority=priority,
        created_at=now,
        updated_at=now,
        last_customer_message_at=customer_message_at,
    )
    _record(ticket, actor, "created", "", ticket.reference)
    publish(
        TicketCreated(
            ticket_id=ticket.pk,
            actor=actor,
            channel=channel,
            channel_account_id=channel_account_id,
            group_id=group.pk if group is not None else None,
            is_public=is_public,
        )
    )
    return ticket


def message_add_inbound(
    *,
    ticket: Ticket,
    customer: Customer,
    text: str,
    html: str = "",
    channel_account_id: int | None = None,
    external_id: str = "",
    sent_at: datetime | None = None,
    metadata: dict[str, Any] | None = None,
    attachments: Sequence[NewAttachment] = (),
    author_name: str = "",
    reopen: bool = True,
    fresh_ticket: bool = False,
) -> Message:
    """Add a customer's message to ``ticket``. Call inside a transaction.

    A reply wakes the ticket up: solved becomes open again (counted as a reopen), pending
    and on-hold become open. ``reopen=False`` records the message without touching the
    status (automatic replies such as vacation notices). ``fresh_ticket``: the ticket was
    just opened for this message with ``ticket_open(customer_message_at=…)``, so its
    timestamps are already this message's and need no second write."""
    fresh = fresh_ticket and ticket.last_customer_message_at is not None
    now = ticket.last_customer_message_at if fresh else clock.now()
    assert now is not None
    plain, safe_html = _texts(text, html)
    actor = Actor.for_customer(customer)
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.IN,
        origin=Origin.CHANNEL,
        author_customer=customer,
        author_name=one_line(author_name or customer.name, 200),
        text=plain,
        html=safe_html,
        is_public=ticket.is_public,
        channel_account_id=channel_account_id,
        external_id=external_id[:255],
        sent_at=sent_at,
        metadata=metadata or {},
        created_at=now,
    )
    _store_attachments(message, attachments)
    changed = [] if fresh else ["updated_at", "last_customer_message_at"]
    ticket.updated_at = now
    ticket.last_customer_message_at = now
    changes: dict[str, Any] = {}
    if reopen and ticket.status in (Status.SOLVED, Status.PENDING, Status.ON_HOLD):
        old_status = ticket.status
        if old_status == Status.SOLVED:
            ticket.reopen_count += 1
            ticket.solved_at = None
            changed += ["reopen_count", "solved_at"]
        ticket.status = Status.OPEN
        changed.append("status")
        _record(ticket, actor, "status", old_status, Status.OPEN)
        changes["status"] = [old_status, Status.OPEN]
    if changed:
        ticket.save(update_fields=changed)
    publish(
        MessageReceived(
            message_id=message.pk,
            ticket_id=ticket.pk,
            actor=actor,
            channel_account_id=ticket.channel_account_id,
        )
    )
    if changes:
        publish(TicketUpdated(ticket_id=ticket.pk, actor=actor, changes=changes))
    return message


def message_add_outbound(
    *,
    ticket: Ticket,
    actor: Actor,
    text: str,
    html: str = "",
    author: Agent | None = None,
    origin: str = Origin.AGENT,
    attachments: Sequence[NewAttachment] = (),
    metadata: dict[str, Any] | None = None,
) -> Message:
    """Store a reply to the customer, queued for delivery. Call inside a transaction, and
    hand the message to the outbox in that same transaction."""
    plain, safe_html = _texts(text, html)
    if not plain.strip() and not attachments:
        raise ValidationFailed(_("The reply is empty."), fields={"text": "required"})
    now = clock.now()
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.OUT,
        origin=origin,
        author_agent=author,
        author_name=author.display_name if author else actor.name,
        text=plain,
        html=safe_html,
        is_public=ticket.is_public,
        channel_account_id=ticket.channel_account_id,
        delivery_status=DeliveryStatus.QUEUED,
        metadata=metadata or {},
        created_at=now,
    )
    _store_attachments(message, attachments)
    changed = ["updated_at"]
    ticket.updated_at = now
    if origin == Origin.AGENT:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changed.append("first_response_at")
        ticket.agent_reply_count += 1
        ticket.last_agent_reply_at = now
        changed += ["agent_reply_count", "last_agent_reply_at"]
        if ticket.status == Status.NEW:
            ticket.status = Status.OPEN
            changed.append("status")
            _record(ticket, actor, "status", Status.NEW, Status.OPEN)
            publish(
                TicketUpdated(
                    ticket_id=ticket.pk, actor=actor, changes={"status": [Status.NEW, Status.OPEN]}
                )
            )
    ticket.save(update_fields=changed)
    publish(ReplyQueued(message_id=message.pk, ticket_id=ticket.pk, actor=actor))
    return message


def message_set_delivery(
    *,
    message: Message,
    status: str,
    error: str = "",
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Record what the channel said about a reply (sent, delivered, read, failed);
    ``metadata`` is added to the message's (how it was delivered, when that is worth
    showing)."""
    fields = ["delivery_status", "delivery_error"]
    message.delivery_status = status
    message.delivery_error = error[:2000]
    if external_id:
        message.external_id = external_id[:255]
        fields.append("external_id")
    if metadata:
        message.metadata = {**(message.metadata or {}), **metadata}
        fields.append("metadata")
    if status == DeliveryStatus.SENT and message.sent_at is None:
        message.sent_at = clock.now()
        fields.append("sent_at")
    message.save(update_fields=fields)
    publish(
        DeliveryChanged(
            message_id=message.pk, ticket_id=message.ticket_id, status=status, error=error
        )
    )


MAX_EDIT_VERSIONS: Final = 50


def message_edit_inbound(
    *, message: Message, text: str, html: str = "", edited_at: datetime | None = None
) -> Message:
    """The customer edited ``message`` on their platform: show the new text and keep every
    earlier version in ``metadata["edits"]`` (oldest first), with an activity entry.
    Receiving the same version again changes nothing."""
    plain, safe_html = _texts(text, html)
    with transaction.atomic():
        locked = Message.objects.select_for_update().select_related("ticket").get(pk=message.pk)
        if (locked.text, locked.html) == (plain, safe_html):
            return locked
        now = clock.now()
        metadata = dict(locked.metadata or {})
        versions = list(metadata.get("edits", []))
        versions.append(
            {
                "text": locked.text,
                "html": locked.html,
                "replaced_at": now.isoformat(),
                "edited_at": edited_at.isoformat() if edited_at else None,
            }
        )
        metadata["edits"] = versions[-MAX_EDIT_VERSIONS:]
        metadata["edited_at"] = (edited_at or now).isoformat()
        old_text = locked.text
        locked.text, locked.html, locked.metadata = plain, safe_html, metadata
        locked.save(update_fields=["text", "html", "metadata"])
        ticket = locked.ticket
        customer = locked.author_customer
        actor = (
            Actor.for_customer(customer)
            if customer is not None
            else Actor.system(locked.author_name or "customer")
        )
        _record(ticket, actor, "message_edited", old_text, plain)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        publish(MessageEdited(message_id=locked.pk, ticket_id=ticket.pk, actor=actor))
    return locked


def message_add_echo(
    *,
    ticket: Ticket,
    text: str,
    channel_account_id: int | None,
    external_id: str,
    author_name: str = "",
    sent_at: datetime | None = None,
    attachments: Sequence[NewAttachment] = (),
    metadata: dict[str, Any] | None = None,
) -> Message:
    """Record a message our side sent outside unidesk (from the platform's own app): an
    outgoing message already delivered, with nothing left to send. Call inside a
    transaction."""
    plain, _html = _texts(text, "")
    now = clock.now()
    actor = Actor.system(author_name or "channel")
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.OUT,
        origin=Origin.CHANNEL,
        author_name=one_line(author_name, 200),
        text=plain,
        is_public=ticket.is_public,
        channel_account_id=channel_account_id,
        external_id=external_id[:255],
        delivery_status=DeliveryStatus.SENT,
        sent_at=sent_at or now,
        metadata=metadata or {},
        created_at=now,
    )
    _store_attachments(message, attachments)
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    publish(OutboundRecorded(message_id=message.pk, ticket_id=ticket.pk, actor=actor))
    return message


# --- what agents do ---------------------------------------------------------------------------


def note_add(
    *,
    ticket: Ticket,
    author: Agent,
    text: str,
    html: str = "",
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    plain, safe_html = _texts(text, html)
    if not plain.strip() and not attachments:
        raise ValidationFailed(_("The note is empty."), fields={"text": "required"})
    actor = Actor.for_agent(author)
    with transaction.atomic():
        now = clock.now()
        message = Message.objects.create(
            ticket=ticket,
            direction=Direction.NOTE,
            origin=Origin.AGENT,
            author_agent=author,
            author_name=author.display_name,
            text=plain,
            html=safe_html,
            created_at=now,
        )
        _store_attachments(message, attachments)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        ticket.updated_at = now
        publish(NoteAdded(message_id=message.pk, ticket_id=ticket.pk, actor=actor))
    return message


def _status_change(ticket: Ticket, new_status: str, changed: list[str]) -> None:
    if new_status not in Status.values:
        raise ValidationFailed(
            _("Unknown status %(status)r.") % {"status": new_status}, fields={"status": "invalid"}
        )
    if ticket.status == Status.CLOSED:
        raise Conflict(
            _("Ticket %(ref)s is closed; closed tickets do not change.")
            % {"ref": ticket.reference},
            fields={"status": "closed"},
        )
    if new_status == Status.NEW and ticket.status != Status.NEW:
        raise ValidationFailed(
            _("A ticket cannot go back to new."), fields={"status": "invalid_transition"}
        )
    now = clock.now()
    if new_status == Status.SOLVED:
        ticket.solved_at = now
        changed.append("solved_at")
    elif new_status == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
        if ticket.solved_at is None:
            ticket.solved_at = now
            changed.append("solved_at")
    elif ticket.status == Status.SOLVED:
        ticket.solved_at = None
        ticket.reopen_count += 1
        changed += ["solved_at", "reopen_count"]
    ticket.status = new_status
    changed.append("status")


def tags_by_name(names: Iterable[str]) -> list[Tag]:
    cleaned: list[str] = []
    for raw in names:
        name = one_line(str(raw), 64).strip().lower()
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed(
            _("A ticket can have at most %(n)s tags.") % {"n": MAX_TAGS},
            fields={"tags": "too_many"},
        )
    return [Tag.objects.get_or_create(name=name)[0] for name in cleaned]


def ticket_update(
    *,
    ticket: Ticket,
    actor: Actor,
    status: str | _Unset = UNSET,
    priority: int | _Unset = UNSET,
    group: Group | _Unset | None = UNSET,
    assignee: Agent | _Unset | None = UNSET,
    tags: Sequence[str] | _Unset = UNSET,
) -> Ticket:
    """Change any of the ticket's properties at once; each change is logged and published."""
    with transaction.atomic():
        # Lock only the ticket row: PostgreSQL refuses FOR UPDATE on the nullable side of
        # the outer joins to group and assignee.
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("group", "assignee")
            .get(pk=ticket.pk)
        )
        changed: list[str] = []
        changes: dict[str, list[Any]] = {}

        if not isinstance(status, _Unset) and status != locked.status:
            old = locked.status
            _status_change(locked, status, changed)
            changes["status"] = [old, status]
        if not isinstance(priority, _Unset) and priority != locked.priority:
            if priority not in Priority.values:
                raise ValidationFailed(_("Unknown priority."), fields={"priority": "invalid"})
            changes["priority"] = [Priority(locked.priority).key, Priority(priority).key]
            locked.priority = priority
            changed.append("priority")
        if not isinstance(group, _Unset) and group != locked.group:
            changes["group"] = [str(locked.group or ""), str(group or "")]
            locked.group = group
            changed.append("group")
        if not isinstance(assignee, _Unset) and assignee != locked.assignee:
            if assignee is not None and not assignee.is_active:
                raise ValidationFailed(
                    _("%(name)s is deactivated.") % {"name": assignee.display_name},
                    fields={"assignee": "inactive"},
                )
            changes["assignee"] = [str(locked.assignee or ""), str(assignee or "")]
            locked.assignee = assignee
            changed.append("assignee")
        if not isinstance(tags, _Unset):
            new_tags = tags_by_name(tags)
            old_names = sorted(locked.tags.values_list("name", flat=True))
            new_names = sorted(tag.name for tag in new_tags)
            if old_names != new_names:
                locked.tags.set(new_tags)
                changes["tags"] = [", ".join(old_names), ", ".join(new_names)]

        if changes:
            locked.updated_at = clock.now()
            changed.append("updated_at")
            locked.save(update_fields=changed)
            for field, (old, new) in changes.items():
                _record(locked, actor, field, old, new)
            publish(TicketUpdated(ticket_id=locked.pk, actor=actor, changes=changes))
    return locked


def ticket_open_private_followup(*, public: Ticket, actor: Actor, thread_key: str) -> Ticket:
    """Open the private continuation of a public thread: the same customer, channel,
    group and assignee, not public. Both tickets record the link in their activity. Call
    inside a transaction."""
    private = ticket_open(
        requester=public.requester,
        requester_identity=public.requester_identity,
        actor=actor,
        subject=public.subject,
        channel_account_id=public.channel_account_id,
        channel=public.channel,
        thread_key=thread_key,
        group=public.group,
        is_public=False,
        priority=public.priority,
    )
    if public.assignee_id:
        private.assignee_id = public.assignee_id
        private.save(update_fields=["assignee"])
    _record(public, actor, "continued_privately", "", private.reference)
    _record(private, actor, "continued_from", "", public.reference)
    return private


def participant_add(
    *, ticket: Ticket, identity: Identity, actor: Actor, role: str = ParticipantRole.CC
) -> TicketParticipant:
    participant, created = TicketParticipant.objects.get_or_create(
        ticket=ticket, identity=identity, role=role, defaults={"added_at": clock.now()}
    )
    if created:
        _record(ticket, actor, role, "", identity.value)
    return participant


def participant_remove(*, ticket: Ticket, participant_id: int, actor: Actor) -> None:
    participant = (
        TicketParticipant.objects.select_related("identity")
        .filter(ticket=ticket, pk=participant_id)
        .first()
    )
    if participant is None:
        return
    participant.delete()
    _record(ticket, actor, participant.role, participant.identity.value, "")


def customer_merge(*, source: Customer, target: Customer, actor: Actor) -> CustomerMerge:
    """Merge ``source`` into ``target``: identities (and with them CC participations),
    tickets and authored messages move; customers merged into ``source`` earlier now point
    at ``target``; the name, language and note fill gaps in the target's. The source stays
    as a pointer to the target, every moved ticket records the change, and the merge is
    recorded with what moved.

    Safe against a message of the source's arriving meanwhile: ingestion locks the
    identity it writes through, and the merge takes those locks before it lists the
    tickets to move, so such a ticket either moves or is created for the target."""
    if source.pk == target.pk:
        raise ValidationFailed(_("A customer cannot be merged into itself."))
    with transaction.atomic():
        # The source's identities first, as ingestion takes them (then the customer), so
        # the two never wait for each other in opposite orders.
        identities = list(
            Identity.objects.select_for_update().filter(customer=source).order_by("kind", "value")
        )
        # FOR NO KEY UPDATE: a ticket being inserted for one of these customers (which
        # takes KEY SHARE on it) does not block the merge, nor the merge it.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update(no_key=True)
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise Conflict(_("One of these customers no longer exists."))
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id or target.merged_into_id:
            raise Conflict(_("One of these customers has already been merged."))
        # Named before the identities move: a customer without a name goes by an address.
        source_label, target_label = source.display_name, target.display_name
        tickets = list(
            Ticket.objects.filter(requester=source).order_by("number").values_list("id", "number")
        )
        ticket_ids = [ticket_id for ticket_id, _number in tickets]
        moved = {
            "identities": Identity.objects.filter(pk__in=[i.pk for i in identities]).update(
                customer=target
            ),
            "tickets": Ticket.objects.filter(pk__in=ticket_ids).update(requester=target),
            "messages": Message.objects.filter(author_customer=source).update(
                author_customer=target
            ),
            "merged_before": Customer.objects.filter(merged_into=source).update(merged_into=target),
            "identity_values": [f"{i.kind}:{i.value}" for i in identities],
            "ticket_numbers": [number for _id, number in tickets],
        }
        for ticket in Ticket.objects.filter(pk__in=ticket_ids):
            _record(ticket, actor, "requester", source_label, target_label)
        if not target.name and source.name:
            target.name = source.name
        if not target.language and source.language:
            target.language = source.language
        if source.note:
            target.note = f"{target.note}\n\n{source.note}".strip()
        target.updated_at = clock.now()
        target.save(update_fields=["name", "language", "note", "updated_at"])
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        merge = CustomerMerge.objects.create(
            source=source,
            target=target,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_name=actor.name,
            moved=moved,
            created_at=clock.now(),
        )
        publish(CustomersMerged(source_id=source.pk, target_id=target.pk, actor=actor))
    return merge
