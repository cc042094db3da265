"""Background work: subscribers written with the change, tasks claimed once, dead workers'
tasks picked up again."""

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from unidesk.core import events, tasks
from unidesk.core.actor import Actor
from unidesk.core.worker import Worker, prune_finished_tasks, requeue_abandoned_tasks

pytestmark = pytest.mark.django_db

handled: list[int] = []


@dataclass(frozen=True)
class SomethingHappened(events.Event):
    name: ClassVar[str] = "test.something_happened"
    thing_id: int
    actor: Actor


def remember(event: SomethingHappened) -> None:
    handled.append(event.thing_id)


@pytest.fixture
def background_subscriber():
    handled.clear()
    events.subscribe(SomethingHappened, remember, background=True)
    yield
    events._subscriptions[:] = [s for s in events._subscriptions if s.handler is not remember]


def test_a_background_subscriber_runs_in_the_worker_with_the_event(background_subscriber):
    with transaction.atomic():
        events.publish(SomethingHappened(thing_id=7, actor=Actor.system()))

    assert handled == []
    assert Worker().drain() == 1
    assert handled == [7]
    assert Worker().drain() == 0


def failing_change() -> None:
    with transaction.atomic():
        events.publish(SomethingHappened(thing_id=8, actor=Actor.system()))
        raise RuntimeError("the change failed")


def test_a_rolled_back_change_runs_no_subscriber(background_subscriber):
    with pytest.raises(RuntimeError):
        failing_change()

    assert Worker().drain() == 0
    assert handled == []


def test_a_task_left_running_by_a_dead_worker_runs_again(background_subscriber):
    events.publish(SomethingHappened(thing_id=9, actor=Actor.system()))
    task = DBTaskResult.objects.get()
    task.claim("dead-worker")

    assert Worker().drain() == 0
    assert requeue_abandoned_tasks() == 0  # not abandoned yet
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert requeue_abandoned_tasks() == 1
        assert Worker().drain() == 1
    assert handled == [9]


def test_finished_tasks_are_pruned_after_two_days(background_subscriber):
    events.publish(SomethingHappened(thing_id=10, actor=Actor.system()))
    Worker().drain()
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL

    assert prune_finished_tasks() == 0
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert prune_finished_tasks() == 1
    assert not DBTaskResult.objects.exists()


def test_history_written_through_the_services_queues_no_work(background_subscriber) -> None:
    with transaction.atomic(), tasks.history():
        events.publish(SomethingHappened(thing_id=7, actor=Actor(kind="system", name="t")))
    events.publish(SomethingHappened(thing_id=8, actor=Actor(kind="system", name="t")))

    assert DBTaskResult.objects.count() == 1
    Worker(worker_id="w").drain()
    assert handled == [8]
