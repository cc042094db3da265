"""Platform webhooks: verified and stored while the platform waits, processed afterwards.

The HTTP request does as little as it can: check the signature, write the raw payload
(one row, unique on the platform's delivery id, so a re-delivery creates nothing) and its
processing task in one transaction, and answer once that committed. Platforms time out
after a few seconds and then deliver again; nothing slow (parsing, downloads, ticket
threading) happens before the answer. In the server, webhooks arriving together share one
transaction (``_GroupCommit``; see docs/decisions/005-platform-webhooks-lane.md).

A worker then drains each channel's stored deliveries in the order they arrived, one
worker per channel at a time (a lease), so a customer's messages keep their order.
Failures are kept visible: payloads nobody can read are marked ``unparseable``; network
trouble while fetching files is retried with back-off; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks import task

from unidesk.channels import leases, registry
from unidesk.channels.base import (
    ChannelAdapter,
    DeliveryUpdate,
    HandshakeResponse,
    InboundAttachment,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    OutboundEcho,
    TransientError,
    WebhookRequest,
)
from unidesk.channels.ingest import (
    apply_delivery_update,
    apply_inbound_edit,
    batch_lookups,
    batch_lookups_forget,
    ingest,
    ingest_echo,
)
from unidesk.channels.models import ChannelAccount, InboundRecord, InboundState
from unidesk.channels.selectors import active_channel_for_webhook, remembered_channel
from unidesk.core import tasks
from unidesk.core.db import unit_of_work_connection
from unidesk.core.errors import DomainError, PayloadTooLarge
from unidesk.core.inputs import storable_text
from unidesk.customers.models import Identity
from unidesk.tickets.models import Message

logger = logging.getLogger("unidesk.webhooks")

LANE = "inbound"
LEASE = timedelta(minutes=2)
DRAIN_BUDGET_SECONDS = 20.0
MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 15
SWEEP_GRACE = timedelta(seconds=60)


# --- while the platform waits ------------------------------------------------------------


def webhook_receive(*, kind: str, key: str, request: WebhookRequest) -> HandshakeResponse:
    """The whole answer path for one webhook: find the channel, verify, store, answer."""
    account = active_channel_for_webhook(kind=kind, key=key)
    return webhook_accept(account=account, adapter=registry.adapter_for(account), request=request)


async def webhook_receive_async(
    *, kind: str, key: str, request: WebhookRequest
) -> HandshakeResponse:
    """``webhook_receive`` for the event loop of a server process: verification runs on
    the loop (it is quick and needs no database), and storing joins the process's next
    group commit (see ``_GroupCommit``)."""
    account = remembered_channel(kind=kind, key=key)
    if account is None:
        account = await sync_to_async(_channel_in_thread, thread_sensitive=False)(kind, key)
    adapter = registry.adapter_for(account)
    immediate = _checked(adapter, request)
    if immediate is not None:
        return immediate
    created = await _group_commit().store(account.pk, _delivery_key(adapter, request), request.body)
    return adapter.acknowledge(request, duplicate=not created)


def _channel_in_thread(kind: str, key: str) -> ChannelAccount:
    close_old_connections()
    try:
        return active_channel_for_webhook(kind=kind, key=key)
    finally:
        close_old_connections()


def webhook_accept(
    *, account: ChannelAccount, adapter: ChannelAdapter, request: WebhookRequest
) -> HandshakeResponse:
    """Verify, store and acknowledge one POSTed webhook. Raises ``VerificationFailed``
    (nothing is stored) or ``PayloadTooLarge``."""
    immediate = _checked(adapter, request)
    if immediate is not None:
        return immediate
    created = inbound_store(
        account_id=account.pk, delivery_id=_delivery_key(adapter, request), body=request.body
    )
    return adapter.acknowledge(request, duplicate=not created)


def _delivery_key(adapter: ChannelAdapter, request: WebhookRequest) -> str:
    # The platform's id comes from the body; a NUL or a lone surrogate in it could not be
    # stored (core.inputs).
    return storable_text(adapter.delivery_id(request))


def _checked(adapter: ChannelAdapter, request: WebhookRequest) -> HandshakeResponse | None:
    """Size and signature (raising on failure); the answer when the platform wants one at
    once without anything stored (VK's confirmation)."""
    if len(request.body) > adapter.max_webhook_bytes:
        raise PayloadTooLarge(
            _("The webhook body is larger than %(n)s bytes.") % {"n": adapter.max_webhook_bytes}
        )
    adapter.verify(request)
    return adapter.answer_now(request)


def inbound_store(*, account_id: int, delivery_id: str, body: bytes) -> bool:
    """Store one delivery and queue its processing in one transaction. Returns False when
    the same delivery was stored before (nothing is created then)."""
    try:
        with transaction.atomic():
            InboundRecord.objects.create(
                channel_account_id=account_id, delivery_id=delivery_id[:128], body=body
            )
            tasks.enqueue(process_inbound, account_id)
    except IntegrityError:
        return False
    return True


Item = tuple[int, str, bytes]


def inbound_store_many(items: list[Item]) -> list[bool]:
    """Store many deliveries (channel id, delivery id, body) in one transaction, with one
    processing task per channel. Returns, for each, whether it was new."""
    keys = [(account_id, delivery_id[:128]) for account_id, delivery_id, _ in items]
    try:
        with transaction.atomic():
            stored = set(
                InboundRecord.objects.filter(
                    channel_account_id__in={a for a, _ in keys},
                    delivery_id__in={d for _, d in keys},
                ).values_list("channel_account_id", "delivery_id")
            )
            created: list[bool] = []
            new: list[InboundRecord] = []
            for (account_id, delivery_id), (_, _, body) in zip(keys, items, strict=True):
                if (account_id, delivery_id) in stored:
                    created.append(False)
                    continue
                stored.add((account_id, delivery_id))
                new.append(
                    InboundRecord(channel_account_id=account_id, delivery_id=delivery_id, body=body)
                )
                created.append(True)
            InboundRecord.objects.bulk_create(new)
            for account_id in sorted({record.channel_account_id for record in new}):
                tasks.enqueue(process_inbound, account_id)
    except IntegrityError:
        # Another process stored one of them meanwhile: sort it out one by one.
        return [inbound_store(account_id=a, delivery_id=d, body=b) for a, d, b in items]
    return created


def _store_many_in_thread(items: list[Item]) -> list[bool]:
    with unit_of_work_connection():
        return inbound_store_many(items)


class _GroupCommit:
    """Webhooks arriving together in one server process are stored in one transaction:
    while a commit is under way the next ones gather, and each is answered only after its
    own batch committed. Under load this turns dozens of small transactions (each with its
    own disk flush and task row) into a few larger ones."""

    MAX_BATCH = 200

    def __init__(self) -> None:
        self.pending: list[tuple[Item, asyncio.Future[bool]]] = []
        self.flushing = False
        # The running flush, held so the event loop does not lose it.
        self.task: asyncio.Future[None] | None = None

    async def store(self, account_id: int, delivery_id: str, body: bytes) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending.append(((account_id, delivery_id, body), future))
        if not self.flushing:
            self.flushing = True
            self.task = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self.pending:
                batch = self.pending[: self.MAX_BATCH]
                del self.pending[: self.MAX_BATCH]
                try:
                    created = await sync_to_async(_store_many_in_thread, thread_sensitive=False)(
                        [item for item, _ in batch]
                    )
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for (_, future), was_new in zip(batch, created, strict=True):
                        if not future.done():
                            future.set_result(was_new)
        finally:
            self.flushing = False


_group_commits: dict[asyncio.AbstractEventLoop, _GroupCommit] = {}


def _group_commit() -> _GroupCommit:
    loop = asyncio.get_running_loop()
    if loop not in _group_commits:
        for stale in [other for other in _group_commits if other.is_closed()]:
            del _group_commits[stale]
        _group_commits[loop] = _GroupCommit()
    return _group_commits[loop]


# --- afterwards, in a worker ---------------------------------------------------------------


@task()
def process_inbound(account_id: int) -> int:
    return inbound_drain(account_id)


def inbound_drain(account_id: int, *, budget_seconds: float = DRAIN_BUDGET_SECONDS) -> int:
    """Process the channel's due deliveries oldest first, holding the channel's lease.
    Returns how many were processed here (0 when another worker holds the lease; it will
    see the new ones too, since it looks again after letting go)."""
    holder = get_random_string(16)
    deadline = time.monotonic() + budget_seconds
    processed = 0
    # A burst of webhooks queues a task each; the first drains them all and the rest
    # find nothing to do, which should cost them one query.
    if not _due(account_id).exists():
        return processed
    while True:
        if not leases.acquire(account_id, LANE, holder, LEASE):
            return processed
        renewed = time.monotonic()
        try:
            while time.monotonic() < deadline:
                batch = _next_due(account_id)
                if not batch:
                    break
                inbound_process_batch(batch)
                processed += len(batch)
                if time.monotonic() - renewed > LEASE.total_seconds() / 4:
                    leases.acquire(account_id, LANE, holder, LEASE)
                    renewed = time.monotonic()
        finally:
            leases.release(account_id, LANE, holder)
        if not _due(account_id).exists():
            return processed
        if time.monotonic() >= deadline:
            # Let other channels have the worker; this one continues in a fresh task.
            with transaction.atomic():
                tasks.enqueue(process_inbound, account_id)
            return processed


def _due(account_id: int) -> Any:
    return InboundRecord.objects.filter(
        channel_account_id=account_id,
        state=InboundState.PENDING,
        next_attempt_at__lte=timezone.now(),
    )


CLAIM_BATCH = 20


def _next_due(account_id: int) -> list[InboundRecord]:
    """The next few due deliveries, oldest first, each counted as attempted before it is
    processed (so a delivery that crashes the worker gives up after MAX_ATTEMPTS)."""
    batch = list(_due(account_id).select_related("channel_account").order_by("id")[:CLAIM_BATCH])
    if batch:
        InboundRecord.objects.filter(pk__in=[r.pk for r in batch]).update(
            attempts=F("attempts") + 1
        )
        for record in batch:
            record.attempts += 1
    return batch


def inbound_process(record: InboundRecord) -> str:
    """Parse one stored delivery (already counted as attempted) and hand its events to
    ingestion. Returns the new state."""
    return inbound_process_batch([record])[0]


def inbound_process_batch(records: list[InboundRecord]) -> list[str]:
    """Process a channel's deliveries (already counted as attempted) in their order:

    1. read each payload and fetch the files it names — network work, outside any
       transaction; a delivery whose files cannot be fetched yet is retried later;
    2. hand the events of all the others to ingestion in one transaction, each delivery
       in a savepoint of its own (one that fails is retried alone), with the lookups
       ingestion needs made once for the batch (``channels.ingest.batch_lookups``).

    Returns each delivery's new state."""
    states: dict[int, str] = {}
    ready: list[tuple[InboundRecord, list[InboundEvent]]] = []
    for record in records:
        read = _read(record)
        if isinstance(read, str):
            states[record.pk] = read
        else:
            ready.append((record, read))
    messages = [
        (record.channel_account, event)
        for record, events in ready
        for event in events
        if isinstance(event, InboundMessage)
    ]
    if ready:
        with transaction.atomic(), batch_lookups(messages):
            for record, events in ready:
                states[record.pk] = _apply(record, events)
    return [states[record.pk] for record in records]


def _read(record: InboundRecord) -> list[InboundEvent] | str:
    """The delivery's events with their files fetched, or its new state when it cannot be
    processed now (unparseable, or to be retried)."""
    account = record.channel_account
    adapter = registry.adapter_for(account)
    request = WebhookRequest(method="POST", headers={}, query={}, body=bytes(record.body))
    try:
        events = adapter.parse_inbound(request)
    except InvalidPayload as exc:
        logger.warning(
            "webhook %s of %s channel %s not understood: %s", record.pk, account.kind, account.pk,
            exc,
        )  # fmt: skip
        return _finish(record, InboundState.UNPARSEABLE, str(exc))
    except Exception as exc:
        logger.exception("reading webhook %s of channel %s failed", record.pk, account.pk)
        return _finish(
            record,
            InboundState.UNPARSEABLE,
            _("Unexpected error while reading the payload (%(kind)s).")
            % {"kind": type(exc).__name__},
        )
    final = record.attempts >= MAX_ATTEMPTS
    try:
        return [_with_files(account, adapter, event, final) for event in events]
    except TransientError as exc:
        return _retry(record, str(exc), exc.retry_after)
    except Exception as exc:
        logger.exception("fetching files of webhook %s of channel %s failed", record.pk,
                         account.pk)  # fmt: skip
        return _retry(
            record, _("Unexpected error (%(kind)s).") % {"kind": type(exc).__name__}, None
        )


def _apply(record: InboundRecord, events: list[InboundEvent]) -> str:
    account = record.channel_account
    errors: list[str] = []
    try:
        with transaction.atomic():
            for event in events:
                try:
                    _handler(event)(account, event)
                except DomainError as exc:
                    batch_lookups_forget()
                    errors.append(exc.message)
            if errors:
                return _finish(record, InboundState.FAILED, "; ".join(errors))
            return _finish(record, InboundState.DONE, "")
    except Exception as exc:
        # Rolled back to before this delivery; what the batch looked up may be stale.
        batch_lookups_forget()
        logger.exception("processing webhook %s of channel %s failed", record.pk, account.pk)
        return _retry(
            record, _("Unexpected error (%(kind)s).") % {"kind": type(exc).__name__}, None
        )


Handler = Callable[[ChannelAccount, Any], None]


def _handler(event: InboundEvent) -> Handler:
    return _HANDLERS[type(event)]


def _already_stored(account: ChannelAccount, external_id: str) -> bool:
    return Message.objects.with_external_id(account.pk, external_id).exists()


def _with_files(
    account: ChannelAccount, adapter: ChannelAdapter, event: InboundEvent, final: bool
) -> InboundEvent:
    """The event completed by the adapter's ``fetch`` (the files it names downloaded…;
    ``TransientError`` to try later). A message stored before is not downloaded again."""
    if isinstance(event, InboundMessage):
        if _needs_fetching(event) and _already_stored(account, event.external_id):
            return event
        return _fetched(adapter, event, final)
    if isinstance(event, InboundEdit):
        if _already_stored(account, event.message.external_id):
            return event
        return replace(event, message=_fetched(adapter, event.message, final))
    if isinstance(event, OutboundEcho) and not _already_stored(account, event.external_id):
        try:
            files = adapter.fetch_files(event.attachments)
        except TransientError as exc:
            if not final:
                raise
            files = _give_up_files(event.attachments, str(exc))
        return replace(event, attachments=files)
    return event


def _fetched(adapter: ChannelAdapter, inbound: InboundMessage, final: bool) -> InboundMessage:
    try:
        return adapter.fetch(inbound)
    except TransientError as exc:
        if not final:
            raise
        # Out of patience: keep the message, and say which files are missing and why.
        return replace(inbound, attachments=_give_up_files(inbound.attachments, str(exc)))


def _give_up_files(
    attachments: tuple[InboundAttachment, ...], reason: str
) -> tuple[InboundAttachment, ...]:
    return tuple(
        replace(a, error=(_("could not be downloaded: %(reason)s") % {"reason": reason})[:300])
        if a.data is None and not a.error
        else a
        for a in attachments
    )


def _needs_fetching(inbound: InboundMessage) -> bool:
    return any(a.remote_ref and a.data is None and not a.error for a in inbound.attachments)


def _with_known_name(inbound: InboundMessage) -> InboundMessage:
    """Platforms that send no names (VK, Meta) are asked only about new customers."""
    if inbound.name:
        return inbound
    known = (
        Identity.objects.filter(kind=inbound.identity.kind, value=inbound.identity.value)
        .exclude(customer__name="")
        .values_list("customer__name", flat=True)
        .first()
    )
    return replace(inbound, name=known) if known else inbound


def _on_message(account: ChannelAccount, event: InboundMessage) -> None:
    ingest(account, _with_known_name(event))


def _on_edit(account: ChannelAccount, event: InboundEdit) -> None:
    apply_inbound_edit(account, event)


def _on_echo(account: ChannelAccount, event: OutboundEcho) -> None:
    if _already_stored(account, event.external_id):
        return
    ingest_echo(account, event)


def _on_delivery(account: ChannelAccount, event: DeliveryUpdate) -> None:
    apply_delivery_update(account, event)


_HANDLERS: dict[type, Handler] = {
    InboundMessage: _on_message,
    InboundEdit: _on_edit,
    OutboundEcho: _on_echo,
    DeliveryUpdate: _on_delivery,
}


def _finish(record: InboundRecord, state: str, error: str) -> str:
    InboundRecord.objects.filter(pk=record.pk).update(
        state=state, error=error[:4000], processed_at=timezone.now()
    )
    return state


def _retry(record: InboundRecord, reason: str, retry_after: float | None) -> str:
    if record.attempts >= MAX_ATTEMPTS:
        return _finish(
            record,
            InboundState.FAILED,
            _("Gave up after %(n)s attempts. Last error: %(reason)s")
            % {"n": record.attempts, "reason": reason},
        )
    delay = RETRY_BASE_SECONDS * 2 ** (record.attempts - 1)
    if retry_after:
        delay = max(delay, retry_after)
    retry_at = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        InboundRecord.objects.filter(pk=record.pk).update(
            next_attempt_at=retry_at, error=reason[:4000]
        )
        tasks.enqueue(process_inbound, record.channel_account_id, run_after=retry_at)
    return InboundState.PENDING


# --- housekeeping -------------------------------------------------------------------------


def inbound_retry(records: Any) -> int:
    """Process unparseable or failed deliveries again (after a fix, say); returns how many
    were queued."""
    ids = list(records.values_list("pk", flat=True))
    account_ids = set(records.values_list("channel_account_id", flat=True))
    with transaction.atomic():
        count = InboundRecord.objects.filter(pk__in=ids).update(
            state=InboundState.PENDING, attempts=0, next_attempt_at=timezone.now(), error=""
        )
        for account_id in sorted(account_ids):
            tasks.enqueue(process_inbound, account_id)
    return count


def sweep(limit: int = 200) -> int:
    """Queue processing for channels whose due deliveries nobody is working on (a lost
    task, a worker that died). Safe to run in every worker: draining takes a lease."""
    cutoff = timezone.now() - SWEEP_GRACE
    account_ids = list(
        InboundRecord.objects.filter(state=InboundState.PENDING, next_attempt_at__lt=cutoff)
        .values_list("channel_account_id", flat=True)
        .distinct()[:limit]
    )
    for account_id in account_ids:
        with transaction.atomic():
            tasks.enqueue(process_inbound, account_id)
    if account_ids:
        logger.info("webhook sweep queued %d channels", len(account_ids))
    return len(account_ids)


def prune(
    *, done_after: timedelta = timedelta(days=7), kept_after: timedelta = timedelta(days=30)
) -> int:
    """Forget processed deliveries after a week; unreadable and failed ones stay a month
    for an operator to look at."""
    now = timezone.now()
    deleted, _details = InboundRecord.objects.filter(
        Q(state=InboundState.DONE, received_at__lt=now - done_after)
        | Q(
            state__in=[InboundState.UNPARSEABLE, InboundState.FAILED],
            received_at__lt=now - kept_after,
        )
    ).delete()
    return deleted
