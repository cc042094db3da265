"""Writes of the email channel: raw messages taken in by any way (file, listener, IMAP),
and the people copied on a ticket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from unidesk.channels.models import ChannelAccount, InboundRecord
from unidesk.channels.webhooks import inbound_drain, inbound_store, inbound_store_many
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.customers.services import customer_for_identity
from unidesk.tickets.models import ParticipantRole, Ticket, TicketParticipant
from unidesk.tickets.services import participant_add, participant_remove

STORE_BATCH = 200


def raw_delivery_id(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def mail_store(*, account: ChannelAccount, raw: bytes, delivery_id: str = "") -> bool:
    """Keep one raw message for processing (the same step a webhook takes). Returns False
    when these bytes (or this delivery id) were stored before."""
    if account.kind != "email":
        raise ValidationFailed(
            _("%(name)s is not an email channel.") % {"name": account.name},
            fields={"mailbox": "not_email"},
        )
    return inbound_store(
        account_id=account.pk, delivery_id=delivery_id or raw_delivery_id(raw), body=raw
    )


@dataclass(frozen=True)
class TakenIn:
    stored: bool
    state: str
    error: str


def mail_ingest_now(*, account: ChannelAccount, raws: list[bytes]) -> list[TakenIn]:
    """Store raw messages, then process the mailbox's waiting messages at once (the CLI):
    the same steps as mail arriving by any other way, without waiting for a worker."""
    if account.kind != "email":
        raise ValidationFailed(
            _("%(name)s is not an email channel.") % {"name": account.name},
            fields={"mailbox": "not_email"},
        )
    ids = [raw_delivery_id(raw) for raw in raws]
    items = [(account.pk, d, raw) for d, raw in zip(ids, raws, strict=True)]
    stored: list[bool] = []
    for start in range(0, len(items), STORE_BATCH):
        # A batch per transaction, as the server stores webhooks arriving together.
        stored += inbound_store_many(items[start : start + STORE_BATCH])
    inbound_drain(account.pk, budget_seconds=24 * 3600)
    outcome = {
        delivery_id: (state, error)
        for delivery_id, state, error in InboundRecord.objects.filter(
            channel_account=account, delivery_id__in=ids
        ).values_list("delivery_id", "state", "error")
    }
    return [
        TakenIn(stored=was_new, state=outcome[d][0], error=outcome[d][1])
        for d, was_new in zip(ids, stored, strict=True)
    ]


def copy_add(
    *, ticket: Ticket, address: str, actor: Actor, blind: bool = False
) -> TicketParticipant:
    """Copy someone on the replies of an email ticket (CC, or BCC when ``blind``)."""
    if ticket.channel != "email":
        raise ValidationFailed(
            _("Only email conversations have copies."), fields={"address": "not_email"}
        )
    try:
        identified = customer_for_identity(kind="email", value=address)
    except ValidationFailed:
        raise ValidationFailed(
            _("%(address)s is not an email address.") % {"address": address[:100]},
            fields={"address": "invalid"},
        ) from None
    if ticket.requester_identity_id == identified.identity.pk:
        raise ValidationFailed(
            _("%(address)s is the customer; replies go there anyway.")
            % {"address": identified.identity.value},
            fields={"address": "requester"},
        )
    role = ParticipantRole.BCC if blind else ParticipantRole.CC
    with transaction.atomic():
        # One role per address: moving someone from CC to BCC replaces the CC.
        TicketParticipant.objects.filter(ticket=ticket, identity=identified.identity).exclude(
            role=role
        ).delete()
        return participant_add(ticket=ticket, identity=identified.identity, actor=actor, role=role)


def copy_remove(*, ticket: Ticket, participant_id: int, actor: Actor) -> None:
    with transaction.atomic():
        participant_remove(ticket=ticket, participant_id=participant_id, actor=actor)
