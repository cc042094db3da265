"""Test data built through the real services, so business rules apply to it too."""

from __future__ import annotations

import itertools
from typing import Any

from unidesk.accounts.models import Agent, Group
from unidesk.accounts.services import agent_create_or_update, group_get_or_create, token_create
from unidesk.channels.base import IdentityRef, InboundMessage
from unidesk.channels.ingest import IngestResult, ingest
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import channel_add

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def group(name: str | None = None) -> Group:
    return group_get_or_create(name=name or unique("Group "))


def agent(
    *, role: str = "agent", groups: list[str] | None = None, email: str | None = None,
    name: str = "", password: str = "correct horse battery",
) -> Agent:  # fmt: skip
    return agent_create_or_update(
        email=email or f"{unique('agent')}@example.com",
        password=password,
        role=role,
        name=name or unique("Agent "),
        group_names=groups or [],
    )


def api_token(agent: Agent) -> str:
    return token_create(agent=agent).plaintext


def channel(
    kind: str = "api", *, name: str | None = None, group_name: str | None = None,
    settings: dict[str, str] | None = None,
) -> tuple[ChannelAccount, str]:  # fmt: skip
    connected = channel_add(
        kind=kind,
        name=name or unique(f"{kind} channel "),
        group=group(group_name) if group_name else None,
        settings=settings,
    )
    return connected.account, connected.secret


def inbound(
    *, external_id: str | None = None, identity: tuple[str, str] = ("email", "ann@example.com"),
    text: str = "Hello, my order has not arrived.", **extra: Any,
) -> InboundMessage:  # fmt: skip
    return InboundMessage(
        external_id=external_id or unique("ext-"),
        identity=IdentityRef(*identity),
        text=text,
        **extra,
    )


def conversation(account: ChannelAccount, **extra: Any) -> IngestResult:
    """One customer message ingested through the real pipeline."""
    return ingest(account, inbound(**extra))
