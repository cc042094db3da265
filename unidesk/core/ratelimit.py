"""Rate limits counted in the shared cache (Redis with ``REDIS_URL``, so every server
process counts together; process memory otherwise).

Fixed windows: ``limit`` hits per ``window`` seconds under one key. Cheap (two cache
operations) and good enough against floods; the cost is that a burst straddling two
windows may pass up to twice the limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

from unidesk.core.errors import DomainError


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1.0, retry_after)


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: int  # seconds


def hit(key: str, limit: Limit, *, now: float | None = None) -> float:
    """Count one hit; returns 0 when allowed, else the seconds until the window ends."""
    if limit.limit <= 0:
        return 0.0
    moment = time.time() if now is None else now
    window_start = int(moment // limit.window) * limit.window
    cache_key = f"rl:{limit.name}:{key}:{window_start}"
    cache.add(cache_key, 0, timeout=limit.window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Expired between add and incr: this is the first hit of a new window.
        cache.add(cache_key, 1, timeout=limit.window + 1)
        count = 1
    if count > limit.limit:
        return window_start + limit.window - moment
    return 0.0


def check(*counted: tuple[str, Limit], message: str = "") -> None:
    """Count a hit for each (key, limit); raise ``RateLimited`` if any is exceeded.
    ``message`` may name what was limited; ``%(seconds)s`` is the wait."""
    wait = max((hit(key, limit) for key, limit in counted), default=0.0)
    if wait > 0:
        text = message or _("Too many messages at once. Please wait %(seconds)s s and try again.")
        raise RateLimited(text % {"seconds": int(wait + 0.999)}, retry_after=wait)
