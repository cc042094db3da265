"""Domain events: facts published after a change commits.

Services call ``publish(SomethingHappened(...))`` inside their transaction. Subscribers are
listed in one place (``unidesk.wiring``); each is either

* *inline*: called in the publishing process right after commit (fast, best effort:
  realtime pushes), or
* *background*: written to the task queue in the same transaction as the change, so a crash
  after commit cannot lose it, and run by a worker (automation, notifications, webhooks);
* *coalesced*: inline, but called once per transaction with all its events (derived data
  refreshed once for a batch: report measurements).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.db import transaction

from unidesk.core.actor import Actor

logger = logging.getLogger("unidesk.events")

E = TypeVar("E", bound="Event")
Handler = Callable[[Any], None]

_EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Event:
    """Base class. Subclasses are frozen dataclasses named in the past tense that carry ids
    and the actor, never model instances, so they serialise to JSON."""

    name: ClassVar[str] = "event"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name in _EVENT_TYPES and _EVENT_TYPES[cls.name] is not cls:
            raise RuntimeError(f"two events are named {cls.name!r}")
        _EVENT_TYPES[cls.name] = cls

    def to_payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_payload(cls: type[E], payload: dict[str, Any]) -> E:
        values = dict(payload)
        for field in dataclasses.fields(cls):
            if field.name in values and field.type in ("Actor", Actor):
                values[field.name] = Actor.from_dict(values[field.name])
        return cls(**values)


def event_type(name: str) -> type[Event]:
    return _EVENT_TYPES[name]


@dataclass(frozen=True)
class Subscription:
    event: type[Event]
    handler: Handler
    background: bool
    # Checked when the event is published (inside its transaction): a background handler
    # that has nothing to do for most events costs no task row for them.
    when: Callable[[Any], bool] | None = None
    # Inline, called once after the commit with all such events of the transaction (a
    # list): for handlers that refresh something derived, once per transaction however
    # many changes it made. They must be idempotent (an event of a savepoint that was
    # rolled back may be among them).
    coalesce: bool = False

    @property
    def handler_path(self) -> str:
        return f"{self.handler.__module__}:{self.handler.__qualname__}"


_subscriptions: list[Subscription] = []
_recorders: list[list[Event]] = []
_recorders_lock = threading.Lock()


def subscribe(
    event: type[Event],
    handler: Handler,
    *,
    background: bool = False,
    when: Callable[[Any], bool] | None = None,
    coalesce: bool = False,
) -> None:
    """``when``, if given, is asked at publish time whether the handler cares about this
    event; keep it cheap, it runs inside the publishing transaction. ``coalesce``: see
    ``Subscription``."""
    if coalesce and background:
        raise ValueError("coalesced subscribers run inline")
    _subscriptions.append(
        Subscription(
            event=event, handler=handler, background=background, when=when, coalesce=coalesce
        )
    )


def subscriptions_for(event: Event) -> list[Subscription]:
    return [
        s
        for s in _subscriptions
        if isinstance(event, s.event) and (s.when is None or s.when(event))
    ]


def handler_by_path(path: str) -> Handler:
    for subscription in _subscriptions:
        if subscription.handler_path == path:
            return subscription.handler
    raise LookupError(f"no subscriber {path}")


def publish(event: Event) -> None:
    """Publish ``event`` as part of the current transaction (see module docstring)."""
    from unidesk.core import tasks

    with _recorders_lock:
        for recorder in _recorders:
            recorder.append(event)
    subscriptions = subscriptions_for(event)
    for subscription in subscriptions:
        if subscription.background:
            tasks.enqueue(
                tasks.run_subscriber, subscription.handler_path, event.name, event.to_payload()
            )
    inline = [s for s in subscriptions if not s.background and not s.coalesce]
    if inline:
        transaction.on_commit(lambda: _run_inline(event, inline), robust=True)
    for subscription in subscriptions:
        if subscription.coalesce:
            _coalesced().setdefault(subscription, []).append(event)
            # Registered with every event: the first to run after the commit hands over
            # everything gathered so far, the others find nothing left.
            transaction.on_commit(functools.partial(_run_coalesced, subscription), robust=True)


_gathered = threading.local()


def _coalesced() -> dict[Subscription, list[Event]]:
    # Per thread, as database connections and their transactions are.
    if not hasattr(_gathered, "events"):
        _gathered.events = {}
    gathered: dict[Subscription, list[Event]] = _gathered.events
    return gathered


def _run_coalesced(subscription: Subscription) -> None:
    events = _coalesced().pop(subscription, [])
    if not events:
        return
    try:
        subscription.handler(events)
    except Exception:
        logger.exception(
            "subscriber %s failed on %d events", subscription.handler_path, len(events)
        )


def publish_now_rollback_unsafe(event: Event) -> None:
    """Run inline subscribers immediately, even if the surrounding transaction later rolls
    back. Only for signals that are harmless when wrong, such as typing indicators."""
    _run_inline(event, [s for s in subscriptions_for(event) if not s.background and not s.coalesce])


def _run_inline(event: Event, subscriptions: list[Subscription]) -> None:
    for subscription in subscriptions:
        try:
            subscription.handler(event)
        except Exception:
            logger.exception("subscriber %s failed on %s", subscription.handler_path, event.name)


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """Collect every event published inside the block (for tests and diagnostics)."""
    recorder: list[Event] = []
    with _recorders_lock:
        _recorders.append(recorder)
    try:
        yield recorder
    finally:
        with _recorders_lock:
            _recorders.remove(recorder)
