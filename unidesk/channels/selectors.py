"""Reads for channels."""

from __future__ import annotations

from django.db.models import QuerySet

from unidesk.channels.models import ChannelAccount
from unidesk.core.errors import NotFound


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
