"""The current time, with a way to act "as of" another moment.

Services read the time here so that importers and the demo loader can write history that
happened in the past through the same services that record the present.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_as_of: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("as_of", default=None)


def now() -> datetime:
    override = _as_of.get()
    return override if override is not None else timezone.now()


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Make ``now()`` return ``moment`` inside the block (aware datetimes only)."""
    if timezone.is_naive(moment):
        raise ValueError("as_of needs an aware datetime")
    token = _as_of.set(moment)
    try:
        yield
    finally:
        _as_of.reset(token)
