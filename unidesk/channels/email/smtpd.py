"""The inbound SMTP listener (``unidesk smtpd``): for teams that point a domain's MX, or
their mail server's forwarding, at unidesk.

It accepts mail only for the configured addresses of active mailboxes (``address`` and
``aliases``), answering 550 for anything else, so it is never an open relay. A message is
stored (the same ``inbound_store`` as webhooks and IMAP) before the listener answers 250:
once the sending server hears "accepted", the message cannot be lost; if storing fails it
hears 451 and tries again later.
"""

from __future__ import annotations

import logging
import ssl
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from unidesk.channels.email.adapter import EmailAdapter
from unidesk.channels.email.mailboxes import mailbox_for_recipient
from unidesk.channels.email.services import mail_store
from unidesk.channels.models import ChannelAccount

logger = logging.getLogger("unidesk.email")

MAILBOXES_TTL = 10.0


class _Mailboxes:
    """Active mailboxes, looked up again every few seconds (one query, not one per RCPT)."""

    def __init__(self) -> None:
        self.loaded_at = -MAILBOXES_TTL
        self.accounts: list[ChannelAccount] = []

    def find(self, address: str) -> ChannelAccount | None:
        if time.monotonic() - self.loaded_at > MAILBOXES_TTL:
            close_old_connections()
            self.accounts = list(ChannelAccount.objects.filter(kind="email", is_active=True))
            self.loaded_at = time.monotonic()
        return mailbox_for_recipient(address, self.accounts)


def _store(recipients: list[str], raw: bytes, mailboxes: _Mailboxes) -> int:
    close_old_connections()
    try:
        targets = {a.pk: a for a in (mailboxes.find(r) for r in recipients) if a is not None}
        for account in targets.values():
            mail_store(account=account, raw=raw)
        return len(targets)
    finally:
        close_old_connections()


class InboundHandler:
    """aiosmtpd hooks: refuse unknown recipients, store accepted mail before answering."""

    def __init__(self) -> None:
        self.mailboxes = _Mailboxes()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        account = await sync_to_async(self.mailboxes.find, thread_sensitive=True)(address)
        if account is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            await sync_to_async(_store, thread_sensitive=True)(
                list(envelope.rcpt_tos), raw, self.mailboxes
            )
        except Exception:
            logger.exception("smtpd: storing a message failed")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 Accepted"


def controller(
    *, host: str, port: int, hostname: str | None = None, tls: ssl.SSLContext | None = None
) -> Controller:
    options: dict[str, Any] = {"data_size_limit": EmailAdapter.max_webhook_bytes}
    if tls is not None:
        options |= {"tls_context": tls, "require_starttls": False}
    return Controller(
        InboundHandler(), hostname=host, port=port, server_hostname=hostname, **options
    )
