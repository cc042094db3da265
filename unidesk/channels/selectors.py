"""Reads for channels."""

from __future__ import annotations

import threading
import time

from django.db.models import QuerySet

from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount, Delivery
from unidesk.core.errors import NotFound
from unidesk.tickets.selectors import tickets_visible_to


def active_channel(*, kind: str, key: str) -> ChannelAccount:
    """The connected inbox behind a public URL; NotFound for unknown, wrong-kind or
    switched-off channels alike, so the URL reveals nothing."""
    account = (
        ChannelAccount.objects.select_related("group")
        .filter(kind=kind, key=key[:64], is_active=True)
        .first()
    )
    if account is None:
        raise NotFound("No such channel.")
    return account


# Webhooks look their channel up on every request; a few seconds of memory spare the
# database one query per webhook. A change made in this process is seen at once, one made
# elsewhere (another server process, the CLI) within WEBHOOK_CHANNEL_TTL seconds.
WEBHOOK_CHANNEL_TTL = 5.0
_recent: dict[tuple[str, str], tuple[float, ChannelAccount]] = {}
_recent_lock = threading.Lock()


def remembered_channel(*, kind: str, key: str) -> ChannelAccount | None:
    """The channel if it was looked up in the last few seconds (no database access)."""
    with _recent_lock:
        remembered = _recent.get((kind, key))
    if remembered is not None and remembered[0] > time.monotonic():
        return remembered[1]
    return None


def active_channel_for_webhook(*, kind: str, key: str) -> ChannelAccount:
    """``active_channel``, remembered for a few seconds (see above)."""
    remembered = remembered_channel(kind=kind, key=key)
    if remembered is not None:
        return remembered
    now = time.monotonic()
    account = active_channel(kind=kind, key=key)
    with _recent_lock:
        if len(_recent) > 10_000:
            _recent.clear()
        _recent[(kind, key)] = (now + WEBHOOK_CHANNEL_TTL, account)
    return account


def forget_channel(account: ChannelAccount) -> None:
    with _recent_lock:
        _recent.pop((account.kind, account.key), None)


def channels_all() -> QuerySet[ChannelAccount]:
    return ChannelAccount.objects.select_related("group").order_by("kind", "name")


def delivery_get_for(agent: Agent, message_id: int) -> Delivery:
    """The delivery of an outgoing message on a ticket the agent may see, or NotFound."""
    delivery = (
        Delivery.objects.select_related("message")
        .filter(message_id=message_id, message__ticket__in=tickets_visible_to(agent))
        .first()
    )
    if delivery is None:
        raise NotFound(f"No delivery for message {message_id}.")
    return delivery
