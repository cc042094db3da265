"""Helpers for platform channel tests: fixtures and webhook requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.test import Client

from unidesk.channels import outbox
from unidesk.channels.models import ChannelAccount
from unidesk.core.actor import Actor
from unidesk.tickets.models import Message, Ticket
from unidesk.tickets.services import message_add_outbound

HERE = Path(__file__).parent


def fixture_bytes(kind: str, name: str) -> bytes:
    return (HERE / kind / "fixtures" / f"{name}.json").read_bytes()


def fixture(kind: str, name: str) -> Any:
    return json.loads(fixture_bytes(kind, name))


def fixture_names(kind: str) -> list[str]:
    return sorted(p.stem for p in (HERE / kind / "fixtures").glob("*.json"))


def webhook_url(account: ChannelAccount) -> str:
    return f"/api/v1/channels/{account.kind}/{account.key}/webhook"


def post_webhook(
    account: ChannelAccount, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return Client().post(
        webhook_url(account), data=raw, content_type="application/json", headers=headers or {}
    )


def queue_outbound(ticket: Ticket, *, text: str, metadata: dict[str, Any]) -> Message:
    """Queue an outgoing message with metadata the way CSAT and the bot do."""
    with transaction.atomic():
        message = message_add_outbound(
            ticket=ticket, actor=Actor.system(), text=text, metadata=metadata, origin="system"
        )
        outbox.enqueue(message)
    return message
