"""Messages that must be stored before they are answered, ingested together.

The API channel answers each message with the ticket it landed on, so it cannot store
first and ingest later as platform webhooks do. Under load, many such requests wait at
once; if each ran ``ingest`` in a thread of its own they would queue for the database's
write lock (SQLite has one writer, and its busy handler sleeps in growing steps) and pay a
transaction each. Instead one writer thread per server process takes whatever has
gathered, runs ``channels.ingest.ingest`` for each message in order inside one
transaction (each message in a savepoint of its own, so one bad message fails alone), and
answers every request after the commit. Under no load a batch is a single message and
nothing waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from unidesk.channels.base import InboundMessage
from unidesk.channels.ingest import IngestResult, batch_lookups, batch_lookups_forget, ingest
from unidesk.channels.models import ChannelAccount
from unidesk.core.db import unit_of_work_connection
from unidesk.tickets.attachments import files_removed_on_error

logger = logging.getLogger("unidesk.ingest")

# Built in the writer thread: decoding attachments is CPU work the event loop should not do.
InboundBuilder = Callable[[], InboundMessage]


@dataclass(frozen=True)
class Outcome:
    result: IngestResult | None = None
    error: Exception | None = None


def ingest_batch(items: list[tuple[ChannelAccount, InboundBuilder]]) -> list[Outcome]:
    """Ingest ``items`` in order in one transaction; each outcome is the result or the
    error of that message alone. Call outside any transaction."""
    built: list[InboundMessage | Exception] = []
    for _, build in items:
        try:
            built.append(build())
        except Exception as exc:  # a message that cannot be read is that message's answer
            built.append(exc)
    readable = [
        (account, inbound)
        for (account, _), inbound in zip(items, built, strict=True)
        if isinstance(inbound, InboundMessage)
    ]
    outcomes: list[Outcome] = []
    with files_removed_on_error(), transaction.atomic(), batch_lookups(readable):
        for (account, _), inbound in zip(items, built, strict=True):
            if isinstance(inbound, Exception):
                outcomes.append(Outcome(error=inbound))
                continue
            outcomes.append(_ingest_one(account, inbound))
    return outcomes


def _ingest_one(account: ChannelAccount, inbound: InboundMessage) -> Outcome:
    try:
        # A savepoint of its own: a database error in one message (PostgreSQL aborts the
        # transaction on any) must not fail the others.
        with transaction.atomic():
            return Outcome(result=ingest(account, inbound))
    except IntegrityError:
        # Most likely another process stored the same message first: ingested again
        # without the batch's lookups, it finds that message and answers with it.
        batch_lookups_forget()
        return _ingest_alone(account, inbound)
    except Exception as exc:  # one message's failure is that message's answer
        batch_lookups_forget()
        return Outcome(error=exc)


def _ingest_alone(account: ChannelAccount, inbound: InboundMessage) -> Outcome:
    try:
        with transaction.atomic():
            return Outcome(result=ingest(account, inbound))
    except Exception as exc:
        return Outcome(error=exc)


def _batch_in_thread(items: list[tuple[ChannelAccount, InboundBuilder]]) -> list[Outcome]:
    with unit_of_work_connection():
        return ingest_batch(items)


class IngestGroup:
    """One writer per event loop; see the module docstring."""

    MAX_BATCH = 100

    def __init__(self) -> None:
        self.pending: list[tuple[ChannelAccount, InboundBuilder, asyncio.Future[IngestResult]]]
        self.pending = []
        self.flushing = False
        self.task: asyncio.Future[None] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unidesk-ingest")

    async def ingest(self, account: ChannelAccount, build: InboundBuilder) -> IngestResult:
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self.pending.append((account, build, future))
        if not self.flushing:
            self.flushing = True
            self.task = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                batch = self.pending[: self.MAX_BATCH]
                del self.pending[: self.MAX_BATCH]
                items = [(account, build) for account, build, _ in batch]
                try:
                    outcomes = await loop.run_in_executor(self.executor, _batch_in_thread, items)
                except Exception as exc:  # the transaction itself failed: nobody is stored
                    logger.warning("an ingestion batch of %d failed: %s", len(batch), exc)
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if outcome.error is not None:
                        future.set_exception(outcome.error)
                    elif outcome.result is not None:
                        future.set_result(outcome.result)
        finally:
            self.flushing = False


_groups: dict[asyncio.AbstractEventLoop, IngestGroup] = {}


def ingest_group() -> IngestGroup:
    loop = asyncio.get_running_loop()
    if loop not in _groups:
        for stale in [other for other in _groups if other.is_closed()]:
            _groups.pop(stale).executor.shutdown(wait=False)
        _groups[loop] = IngestGroup()
    return _groups[loop]
