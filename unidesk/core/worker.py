"""The background worker: runs queued tasks and periodic jobs.

``unidesk run`` starts one in a thread of the server process (the embedded default);
``unidesk worker`` runs them as separate processes for scale. Tasks are claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL and an exclusive transaction on SQLite,
so any number of workers can share one queue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger("unidesk.worker")

_wake = threading.Event()


def wake() -> None:
    """Tell a worker in this process that new work is queued (others poll)."""
    _wake.set()


@dataclass
class PeriodicJob:
    name: str
    every_seconds: float
    func: Callable[[], object]
    last_run: float = field(default=0.0)


_periodic: dict[str, PeriodicJob] = {}


def periodic(name: str, every_seconds: float, func: Callable[[], object]) -> None:
    """Register a job that every worker runs about every ``every_seconds``.

    Jobs must be safe to run concurrently in several workers (claim rows, don't assume)."""
    _periodic[name] = PeriodicJob(name=name, every_seconds=every_seconds, func=func)


def periodic_jobs() -> dict[str, PeriodicJob]:
    return _periodic


class Worker:
    def __init__(self, *, worker_id: str | None = None, idle_wait: float = 0.5) -> None:
        from django_tasks_db.management.commands.db_worker import Worker as DbWorker

        self.worker_id = worker_id or f"unidesk-{get_random_string(12)}"
        self.idle_wait = idle_wait
        # The library's worker knows how to run one claimed task and record its outcome;
        # the loop around it is ours (wake-ups, periodic jobs, a stop event for threads).
        self._runner = DbWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )

    def run_one(self) -> bool:
        """Claim and run one ready task. Returns False when none was ready."""
        from django_tasks_db.models import DBTaskResult
        from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        try:
            with exclusive_transaction(ready.db):
                claimed = ready.get_locked()
                if claimed is not None:
                    claimed.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return False
            raise
        if claimed is None:
            return False
        self._runner.run_task(claimed)
        return True

    def drain(self, max_tasks: int = 10_000) -> int:
        """Run ready tasks until none is left (or ``max_tasks``); returns how many ran."""
        ran = 0
        while ran < max_tasks and self.run_one():
            ran += 1
        return ran

    def run_due_periodic_jobs(self, *, force: bool = False) -> None:
        now = time.monotonic()
        for job in list(_periodic.values()):
            if force or now - job.last_run >= job.every_seconds:
                job.last_run = now
                try:
                    job.func()
                except Exception:
                    logger.exception("periodic job %s failed", job.name)

    def run_forever(self, stop: threading.Event) -> None:
        logger.info("worker %s started", self.worker_id)
        while not stop.is_set():
            close_old_connections()
            try:
                self.run_due_periodic_jobs()
                ran = self.drain(max_tasks=100)
            except Exception:
                logger.exception("worker loop error; continuing")
                ran = 0
            close_old_connections()
            if ran == 0:
                _wake.wait(self.idle_wait)
                _wake.clear()
        connection.close()
        logger.info("worker %s stopped", self.worker_id)


def requeue_abandoned_tasks(older_than: timedelta = timedelta(hours=1)) -> int:
    """Tasks left RUNNING by a worker that died go back to the queue (at-least-once)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - older_than
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)


def prune_finished_tasks(older_than: timedelta = timedelta(days=2)) -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - older_than
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def start_in_thread() -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=Worker().run_forever, args=(stop,), name="unidesk-worker", daemon=True
    )
    thread.start()
    return thread, stop
