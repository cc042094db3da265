"""Pushing to websockets from anywhere in the desk.

Websocket consumers (the chat widget's visitors, agents' workspaces) join groups of the
channel layer; services, subscribers and the outbox push to those groups with ``push``.
Pushes are best effort: a visitor or an agent who is not connected reads what they missed
from the database when they reconnect, so nothing depends on a push arriving.

With ``REDIS_URL`` the layer is channels-redis and pushes cross server processes and
machines. Without it the layer lives in the server process (``InProcessChannelLayer``).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger("unidesk.realtime")

# Group names the channel layer accepts: ASCII letters, digits, hyphens, periods and
# underscores, shorter than 100 characters.
DESK_GROUP = "unidesk.desk"
PUSH_TIMEOUT = 5.0  # seconds


def ticket_group(ticket_id: int) -> str:
    """Agents looking at one ticket (presence, typing)."""
    return f"unidesk.ticket.{int(ticket_id)}"


def visitor_group(channel_id: int, thread_key: str) -> str:
    """Every open tab of one web chat conversation."""
    digest = hashlib.sha256(thread_key.encode()).hexdigest()[:40]
    return f"unidesk.chat.{int(channel_id)}.{digest}"


def push(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` (with a ``type`` naming the consumer's handler) to ``group`` from
    synchronous code, without waiting: the pusher thread sends it, in order with the
    other pushes of this process. Never raises; a push that fails is logged, and the
    reader catches up from the database."""
    _pusher().put(group, message)


def push_now(group: str, message: dict[str, Any]) -> None:
    """``push``, waiting until the layer has taken the message (for scripts and tests
    that exit right after)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def defer(work: Callable[[], None]) -> None:
    """Run ``work`` (which may read the database and push) soon, in this process's
    realtime thread, in order with other deferred work. For subscribers that tell
    screens about a change after it committed: the request or worker that made the
    change does not wait for them."""
    _deferrer().put(work)


class _Pending:
    """How much work a background thread still has, to wait for it to finish."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def add(self) -> None:
        with self.changed:
            self.count += 1

    def done(self) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout)


def settle(timeout: float = PUSH_TIMEOUT * 2) -> bool:
    """Wait until deferred work and pushes queued so far are done (for tests and for
    commands that exit right after a change). Returns whether they finished in time."""
    deadline = time.monotonic() + timeout
    deferrer, pusher = _the_deferrer, _the_pusher
    if deferrer is not None and not deferrer.pending.wait_idle(max(0, deadline - time.monotonic())):
        return False
    return pusher is None or pusher.pending.wait_idle(max(0, deadline - time.monotonic()))


class _Deferrer:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.pending = _Pending()
        self.thread = threading.Thread(target=self._run, name="unidesk-live", daemon=True)
        self.thread.start()

    def put(self, work: Callable[[], None]) -> None:
        self.pending.add()
        self.queue.put(work)

    def _run(self) -> None:
        from unidesk.core.db import drop_connections_after_errors

        while True:
            work = self.queue.get()
            try:
                work()
            except Exception:
                logger.exception("deferred realtime work failed")
            finally:
                self.pending.done()
                # Keep the connection between jobs, unless an error may have broken it.
                drop_connections_after_errors()


_the_deferrer: _Deferrer | None = None


def _deferrer() -> _Deferrer:
    global _the_deferrer  # noqa: PLW0603 (one per process, started on first use)
    if _the_deferrer is None:
        with _pusher_lock:
            if _the_deferrer is None:
                _the_deferrer = _Deferrer()
    return _the_deferrer


class _Pusher:
    """One event loop in a daemon thread that sends pushes one after another.

    Services push after their commit from request threads, the outbox worker and
    subscribers; ``async_to_sync`` there would start an event loop per push (and
    channels-redis a connection per loop). One long-lived loop keeps one connection and
    the order in which this process pushed."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self.pending = _Pending()
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="unidesk-realtime", daemon=True
        )
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        ready.set()
        self.loop.run_until_complete(self._send_forever())

    async def _send_forever(self) -> None:
        assert self.queue is not None
        while True:
            group, message = await self.queue.get()
            try:
                layer = get_channel_layer()
                if layer is not None:
                    # Never wait long for one push: the pushes queued behind it matter.
                    await asyncio.wait_for(layer.group_send(group, message), PUSH_TIMEOUT)
            except Exception:
                logger.exception("realtime push to %s failed", group)
            finally:
                self.pending.done()

    def put(self, group: str, message: dict[str, Any]) -> None:
        pushes = self.queue
        if pushes is not None:
            self.pending.add()
            self.loop.call_soon_threadsafe(pushes.put_nowait, (group, message))


_the_pusher: _Pusher | None = None
_pusher_lock = threading.Lock()


def _pusher() -> _Pusher:
    global _the_pusher  # noqa: PLW0603 (one per process, started on first use)
    if _the_pusher is None:
        with _pusher_lock:
            if _the_pusher is None:
                _the_pusher = _Pusher()
    return _the_pusher


class InProcessChannelLayer(InMemoryChannelLayer):
    """The in-memory layer, safe to call from threads that run their own event loop.

    Server-side pushes come from worker threads (the outbox worker, subscribers after a
    view's commit) whose ``async_to_sync`` runs a private event loop, while the queues
    consumers wait on belong to the server's loop and are not thread-safe. Calls made
    from another loop are therefore carried over to the server's loop, which is known
    from the first ``receive``."""

    _home: asyncio.AbstractEventLoop | None = None
    _cleaned_at: float = 0.0
    CLEAN_EVERY = 1.0  # seconds

    def _clean_expired(self) -> None:
        # The base layer walks every channel and group on every send and receive; with
        # thousands of open widgets that walk costs more than the message. Expiry is
        # housekeeping (a minute's grace), so once a second is plenty.
        now = time.monotonic()
        if now - self._cleaned_at >= self.CLEAN_EVERY:
            self._cleaned_at = now
            InMemoryChannelLayer._clean_expired(self)

    async def _on_home(self, call: Callable[[], Awaitable[Any]]) -> Any:
        home = self._home
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - always called from a coroutine
            current = None
        if home is None or home is current or home.is_closed() or not home.is_running():
            return await call()
        coroutine = _awaited(call)
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, home)
            # The server's loop may stop before it runs the call (at shutdown): do not
            # wait for it forever.
            return await asyncio.wait_for(asyncio.wrap_future(future), PUSH_TIMEOUT)
        finally:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # never ran: nobody is left to receive it

    async def receive(self, channel: str) -> Any:
        loop = asyncio.get_running_loop()
        if self._home is not loop:
            if self._home is not None and not self._home.is_running():
                # A new server loop (tests start one per test): queues made on the old
                # one cannot be awaited here.
                self.channels: dict[str, Any] = {}
                self.groups: dict[str, Any] = {}
            self._home = loop
        return await InMemoryChannelLayer.receive(self, channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._on_home(lambda: InMemoryChannelLayer.send(self, channel, message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._on_home(lambda: InMemoryChannelLayer.group_send(self, group, message))

    async def group_add(self, group: str, channel: str) -> None:
        await self._on_home(lambda: InMemoryChannelLayer.group_add(self, group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        await self._on_home(lambda: InMemoryChannelLayer.group_discard(self, group, channel))


async def _awaited(call: Callable[[], Awaitable[Any]]) -> Any:
    return await call()
