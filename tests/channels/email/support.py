"""Helpers for the email channel tests: the corpus, a mailbox, raw messages."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from django.test import Client

from tests import factories
from unidesk.channels.base import ChannelConfig, WebhookRequest
from unidesk.channels.email.adapter import EmailAdapter
from unidesk.channels.models import ChannelAccount
from unidesk.core import crypto

FIXTURES = Path(__file__).parent / "fixtures"
ADDRESS = "support@shop.example"
SECRET = "mailbox-secret-0123456789"


def corpus_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.eml"))


def eml(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


def config(**settings: str) -> ChannelConfig:
    return ChannelConfig(
        id=1, kind="email", key="mailbox", name="Shop support",
        settings={"address": ADDRESS, "aliases": "sales@shop.example", **settings},
        secrets={"secret": SECRET},
    )  # fmt: skip


def parse(raw: bytes, **settings: str) -> list[Any]:
    adapter = EmailAdapter(config(**settings))
    return adapter.parse_inbound(WebhookRequest("POST", {}, {}, raw))


def mailbox(name: str = "Shop support", **settings: str) -> ChannelAccount:
    account, _secret = factories.channel(
        "email",
        name=name,
        group_name="Support",
        settings={"address": ADDRESS, "aliases": "sales@shop.example", "secret": SECRET,
                  **settings},
    )  # fmt: skip
    return account


def raw_url(account: ChannelAccount) -> str:
    return f"/api/v1/channels/email/{account.key}/raw"


def post_raw(account: ChannelAccount, raw: bytes, headers: dict[str, str] | None = None) -> Any:
    given = {"Authorization": f"Bearer {SECRET}"} if headers is None else headers
    return Client().post(raw_url(account), data=raw, content_type="message/rfc822",
                         headers=given)  # fmt: skip


def signature(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + crypto.hmac_sha256_hex(secret, raw)


def customer_mail(
    *,
    sender: str = "olga@client.example",
    name: str = "Olga Petrova",
    subject: str = "Where is my order?",
    text: str = "Hello, order 4512 has not arrived.",
    message_id: str = "first@client.example",
    in_reply_to: str = "",
    references: str = "",
    to: str = ADDRESS,
    cc: str = "",
    headers: dict[str, str] | None = None,
    when: Any = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    if when is not None:
        message["Date"] = format_datetime(when)
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = references
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    return message.as_bytes()


def reply(ticket: Any, text: str) -> Any:
    """An outgoing message queued on ``ticket`` (not sent: tests run the outbox)."""
    from tests.channels.support import queue_outbound

    return queue_outbound(ticket, text=text, metadata={})
