"""Adapters register themselves by kind; nothing dispatches on kind with if-ladders."""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings

from unidesk.channels.base import ChannelAdapter, ChannelConfig
from unidesk.channels.models import ChannelAccount
from unidesk.core.errors import NotFound

A = TypeVar("A", bound=type[ChannelAdapter])

_adapters: dict[str, type[ChannelAdapter]] = {}


def register(cls: A) -> A:
    if cls.kind in _adapters and _adapters[cls.kind] is not cls:
        raise RuntimeError(f"two adapters for {cls.kind!r}")
    _adapters[cls.kind] = cls
    return cls


def registered_kinds() -> list[str]:
    return sorted(_adapters)


def adapter_class(kind: str) -> type[ChannelAdapter]:
    try:
        return _adapters[kind]
    except KeyError:
        raise NotFound(f"No channel adapter for {kind!r} is installed.") from None


def config_of(account: ChannelAccount) -> ChannelConfig:
    return ChannelConfig(
        id=account.pk,
        kind=account.kind,
        key=account.key,
        name=account.name,
        settings=dict(account.settings),
        secrets=account.secrets,
        base_url=settings.BASE_URL,
    )


def adapter_for(account: ChannelAccount) -> ChannelAdapter:
    return adapter_class(account.kind)(config_of(account))
