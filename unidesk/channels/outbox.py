"""The one way out: every outgoing message is a ``Delivery`` row written in the same
transaction as the message, and delivered by a worker through the channel adapter.

Guarantees:

* Nothing is lost: the delivery row and its task commit with the message; if the task
  row is lost or a worker dies mid-send, the periodic sweep finds the row again.
* Nothing is sent twice at once: a worker claims the row with an atomic state change
  (``queued`` → ``sending`` with a lease). Only a worker that died mid-send can leave a
  send unconfirmed; after the lease expires the row is retried with the same idempotency
  key, which adapters pass to platforms that deduplicate on it.
* Failures are readable: transient ones are retried with exponential back-off, permanent
  ones stop at once, and the reason is shown next to the message.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from unidesk.channels import demo_delivery, registry
from unidesk.channels.base import (
    ChannelError,
    DeliveryResult,
    IdentityRef,
    OutboundAttachment,
    OutboundMessage,
    PermanentError,
    TransientError,
)
from unidesk.channels.events import DeliveryGaveUp
from unidesk.channels.models import Delivery, DeliveryState
from unidesk.core import tasks
from unidesk.core.errors import NotFound
from unidesk.core.events import publish
from unidesk.tickets.models import (
    DeliveryStatus,
    Direction,
    Message,
    ParticipantRole,
    TicketParticipant,
)
from unidesk.tickets.services import message_set_delivery

logger = logging.getLogger("unidesk.outbox")

LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 15
BACKOFF_CAP_SECONDS = 3600
SWEEP_GRACE = timedelta(seconds=60)


def enqueue(message: Message) -> Delivery:
    """Queue ``message`` for delivery. Call in the transaction that created it."""
    delivery = Delivery.objects.create(
        message=message,
        channel_account_id=message.channel_account_id,
        next_attempt_at=timezone.now(),
    )
    tasks.enqueue(deliver, delivery.pk)
    return delivery


@task(queue_name="outbox")
def deliver(delivery_id: int) -> str:
    return deliver_now(delivery_id)


def backoff(attempt: int) -> timedelta:
    seconds = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return timedelta(seconds=seconds * (1 + random.random() * 0.2))  # noqa: S311 (jitter)


def _claim(delivery_id: int, now: datetime) -> bool:
    due = Q(state=DeliveryState.QUEUED, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, lease_until__lt=now
    )
    updated = Delivery.objects.filter(due, pk=delivery_id).update(
        state=DeliveryState.SENDING,
        lease_until=now + LEASE,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return updated == 1


def deliver_now(delivery_id: int) -> str:
    """Try to deliver once. Returns the delivery's state afterwards (or ``skipped`` when
    another worker holds it or it is not due)."""
    if not _claim(delivery_id, timezone.now()):
        return "skipped"
    delivery = Delivery.objects.select_related(
        "channel_account", "message__ticket__requester_identity"
    ).get(pk=delivery_id)
    try:
        if delivery.channel_account is None:
            raise PermanentError(_("The channel of this conversation was removed."))
        if not delivery.channel_account.is_active:
            raise PermanentError(
                _("The channel %(name)s is switched off.") % {"name": delivery.channel_account.name}
            )
        adapter = registry.adapter_for(delivery.channel_account)
        outbound = build_outbound(delivery)
        if demo_delivery.is_on(delivery.channel_account.settings):
            # A demo channel: nobody to deliver to, so the reply is recorded, not sent.
            result = demo_delivery.deliver(adapter, outbound)
        else:
            result = adapter.send(outbound)
    except PermanentError as exc:
        _give_up(delivery, str(exc))
    except TransientError as exc:
        _retry_later(delivery, str(exc), retry_after=exc.retry_after)
    except ChannelError as exc:
        _retry_later(delivery, str(exc))
    except NotFound as exc:
        _give_up(delivery, exc.message)
    except Exception as exc:
        # A bug or an unexpected library error: keep the reply, try again later, and leave
        # the traceback for the operator (never the message contents).
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
        _retry_later(delivery, _("Unexpected error (%(kind)s).") % {"kind": type(exc).__name__})
    else:
        _mark_sent(delivery, result)
    return Delivery.objects.values_list("state", flat=True).get(pk=delivery_id)


def build_outbound(delivery: Delivery) -> OutboundMessage:
    message = delivery.message
    ticket = message.ticket
    identity = ticket.requester_identity
    earlier = list(
        Message.objects.filter(ticket=ticket, created_at__lte=message.created_at)
        .exclude(pk=message.pk)
        .exclude(external_id="")
        .filter(direction__in=[Direction.IN, Direction.OUT])
        .order_by("-created_at", "-id")
        .values_list("direction", "external_id")[:50]
    )
    references = tuple(reversed([external_id for _, external_id in earlier]))
    in_reply_to = next((eid for direction, eid in earlier if direction == Direction.IN), "")
    participants = TicketParticipant.objects.filter(ticket=ticket).select_related("identity")
    return OutboundMessage(
        message_id=message.pk,
        idempotency_key=str(delivery.idempotency_key),
        ticket_id=ticket.pk,
        ticket_number=ticket.number,
        subject=ticket.subject,
        text=message.text,
        html=message.html,
        author_name=message.author_name,
        recipient=IdentityRef(identity.kind, identity.value) if identity else None,
        thread_key=ticket.thread_key,
        in_reply_to=in_reply_to,
        references=references,
        cc=tuple(
            IdentityRef(p.identity.kind, p.identity.value)
            for p in participants
            if p.role == ParticipantRole.CC
        ),
        bcc=tuple(
            IdentityRef(p.identity.kind, p.identity.value)
            for p in participants
            if p.role == ParticipantRole.BCC
        ),
        attachments=tuple(
            OutboundAttachment(filename=a.filename, content_type=a.content_type, data=_read(a.file))
            for a in message.attachments.all()
            if a.is_kept
        ),
        is_public=message.is_public,
        created_at=message.created_at,
        metadata=message.metadata,
        origin=message.origin,
    )


def _read(field_file: object) -> bytes:
    with field_file.open("rb") as handle:  # type: ignore[attr-defined]
        data: bytes = handle.read()
    return data


def _mark_sent(delivery: Delivery, result: DeliveryResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.SENT, sent_at=now, lease_until=None, last_error="", updated_at=now
        )
        status: str = result.status or DeliveryStatus.SENT
        # The channel may already have reported the message delivered or read (the chat
        # widget shows it the moment it is pushed); "sent" must not undo that.
        current = (
            Message.objects.select_for_update()
            .filter(pk=delivery.message_id)
            .values_list("delivery_status", flat=True)
            .first()
        )
        if current in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
            status = current
        message_set_delivery(
            message=delivery.message,
            status=status,
            external_id=result.external_id or None,
            metadata=_demo_note(result) if result.demo else None,
        )


def _demo_note(result: DeliveryResult) -> dict[str, object]:
    """What the message shows of a demo delivery: that nobody received it, and the file
    that keeps it (under the demo outbox), if one was written."""
    return {demo_delivery.SETTING: {"file": result.saved_as}}


def _retry_later(delivery: Delivery, reason: str, *, retry_after: float | None = None) -> None:
    attempts = Delivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
    max_attempts = settings.UNIDESK["DELIVERY_MAX_ATTEMPTS"]
    if attempts >= max_attempts:
        _give_up(
            delivery,
            _("Gave up after %(n)s attempts. Last error: %(reason)s")
            % {"n": attempts, "reason": reason},
        )
        return
    now = timezone.now()
    wait = backoff(attempts)
    if retry_after:
        # The platform said when it will accept more; sooner would only fail again.
        wait = max(wait, timedelta(seconds=retry_after))
    retry_at = now + wait
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.QUEUED,
            next_attempt_at=retry_at,
            lease_until=None,
            last_error=reason[:2000],
            updated_at=now,
        )
        message_set_delivery(
            message=delivery.message,
            status=DeliveryStatus.QUEUED,
            error=_("Attempt %(n)s failed: %(reason)s. Retrying automatically.")
            % {"n": attempts, "reason": reason},
        )
        tasks.enqueue(deliver, delivery.pk, run_after=retry_at)


def _give_up(delivery: Delivery, reason: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, lease_until=None, last_error=reason[:2000], updated_at=now
        )
        message_set_delivery(message=delivery.message, status=DeliveryStatus.FAILED, error=reason)
        publish(
            DeliveryGaveUp(
                message_id=delivery.message_id,
                ticket_id=delivery.message.ticket_id,
                reason=reason[:500],
            )
        )


def retry_failed(delivery: Delivery) -> None:
    """An agent asks to try a failed delivery again."""
    if delivery.state != DeliveryState.FAILED:
        return
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
            state=DeliveryState.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        message_set_delivery(message=delivery.message, status=DeliveryStatus.QUEUED)
        tasks.enqueue(deliver, delivery.pk)


def sweep(limit: int = 500) -> int:
    """Re-enqueue deliveries whose task went missing or whose worker died mid-send.
    Claiming is atomic, so an extra task for a delivery in progress does nothing."""
    now = timezone.now()
    stuck = list(
        Delivery.objects.filter(
            Q(state=DeliveryState.QUEUED, next_attempt_at__lt=now - SWEEP_GRACE)
            | Q(state=DeliveryState.SENDING, lease_until__lt=now)
        ).values_list("pk", flat=True)[:limit]
    )
    for delivery_id in stuck:
        with transaction.atomic():
            tasks.enqueue(deliver, delivery_id)
    if stuck:
        logger.info("outbox sweep re-queued %d deliveries", len(stuck))
    return len(stuck)
