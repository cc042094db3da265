"""Subscribers of domain events: after commit, and coalesced once per transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.db import transaction

from unidesk.core import events
from unidesk.core.actor import Actor

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class SomethingMeasured(events.Event):
    name: ClassVar[str] = "test.something_measured"
    thing_id: int
    actor: Actor


@pytest.fixture
def calls() -> Iterator[list[list[int]]]:
    seen: list[list[int]] = []

    def refresh(batch: list[SomethingMeasured]) -> None:
        seen.append([event.thing_id for event in batch])

    events.subscribe(SomethingMeasured, refresh, coalesce=True)
    try:
        yield seen
    finally:
        events._subscriptions[:] = [s for s in events._subscriptions if s.handler is not refresh]


def measured(thing_id: int) -> None:
    events.publish(SomethingMeasured(thing_id=thing_id, actor=Actor.system()))


def test_a_transaction_is_handed_over_once_after_its_commit(calls) -> None:
    with transaction.atomic():
        measured(1)
        measured(2)
        measured(1)
        assert calls == []

    assert calls == [[1, 2, 1]]


def test_each_transaction_is_its_own_batch(calls) -> None:
    with transaction.atomic():
        measured(1)
    with transaction.atomic():
        measured(2)

    assert calls == [[1], [2]]


def test_nothing_is_handed_over_for_a_rolled_back_transaction(calls) -> None:
    def measure_then_fail() -> None:
        with transaction.atomic():
            measured(1)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        measure_then_fail()

    assert calls == []


def test_outside_a_transaction_it_runs_at_once(calls) -> None:
    measured(7)

    assert calls == [[7]]


def test_a_failing_handler_is_logged_and_does_not_fail_the_commit(caplog) -> None:
    def broken(batch: list[SomethingMeasured]) -> None:
        raise ValueError("boom")

    events.subscribe(SomethingMeasured, broken, coalesce=True)
    try:
        with transaction.atomic():
            measured(3)
    finally:
        events._subscriptions[:] = [s for s in events._subscriptions if s.handler is not broken]

    assert "failed on 1 events" in caplog.text


def test_a_coalesced_subscriber_cannot_be_a_background_one() -> None:
    with pytest.raises(ValueError, match="inline"):
        events.subscribe(SomethingMeasured, print, coalesce=True, background=True)
