"""Reads for channels."""

from __future__ import annotations

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
