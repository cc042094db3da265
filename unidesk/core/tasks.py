"""Background tasks that belong to no single domain, and the one way to enqueue."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction
from django_tasks import task
from django_tasks.base import Task

from unidesk.core import events, worker

logger = logging.getLogger("unidesk.tasks")


_history = threading.local()


@contextmanager
def history() -> Iterator[None]:
    """Changes made inside the block are history written through the services as of past
    moments (the demo desk): nothing is queued for them. A worker would run that work now
    — acknowledge a week-old letter, send an out-of-hours reply to a conversation solved
    days ago — so the writer of the history does itself whatever part of it belongs there
    (as of the right moment)."""
    earlier = getattr(_history, "active", False)
    _history.active = True
    try:
        yield
    finally:
        _history.active = earlier


def writing_history() -> bool:
    return bool(getattr(_history, "active", False))


def enqueue(task_: Task, *args: Any, run_after: datetime | None = None) -> None:
    """Write the task row in the current transaction and wake the local worker after commit.

    Because the row commits (or rolls back) with the change that caused it, a crash can
    neither lose the work nor run it for a change that never happened. Inside ``history()``
    nothing is written."""
    if writing_history():
        return
    configured = task_.using(run_after=run_after) if run_after is not None else task_
    configured.enqueue(*args)
    transaction.on_commit(worker.wake)


@task()
def run_subscriber(handler_path: str, event_name: str, payload: dict[str, Any]) -> None:
    event = events.event_type(event_name).from_payload(payload)
    events.handler_by_path(handler_path)(event)
