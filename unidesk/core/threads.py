"""Database work from websocket consumers, off the event loop.

Channels' ``database_sync_to_async`` runs every consumer's queries in one shared thread
(so thousands of chats queue behind each other) and closes the connection after each
call (so each call connects anew). Live chat needs neither: ``in_db_thread`` runs calls in
a small pool of threads that keep their connection, closing it only when an error may
have left it broken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async

from unidesk.core.db import drop_connections_after_errors

P = ParamSpec("P")
R = TypeVar("R")

# A few threads: enough to overlap reads, and never more connections than the pool has.
_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="unidesk-db")


def in_db_thread(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            drop_connections_after_errors()

    converted: Callable[P, Awaitable[R]] = sync_to_async(
        run, thread_sensitive=False, executor=_EXECUTOR
    )
    return converted
