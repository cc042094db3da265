"""Replies of the demo desk's channels: recorded as sent, delivered to nobody.

The demo's mailboxes have no SMTP server and its messengers no reachable platform, so a
reply sent there would fail with a delivery error that says nothing about the demo. A
channel account whose settings carry ``demo_delivery`` (only the demo loader writes it: it
is not a setting ``channel add`` or the administration accepts) hands its replies to this
transport instead of its adapter. The reply is marked sent, with a note that it went
nowhere, and when the platform's format can be kept as a file (an email's ``.eml``) it is
written under ``UNIDESK_DATA_DIR/demo-outbox/``, where it can be opened in a mail client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from django.conf import settings

from unidesk.channels.base import ChannelAdapter, DeliveryResult, OutboundMessage

logger = logging.getLogger("unidesk.outbox")

SETTING: Final = "demo_delivery"
ON: Final = "on"


def is_on(channel_settings: Mapping[str, Any]) -> bool:
    """Whether a channel's replies go to the demo transport."""
    return str(channel_settings.get(SETTING, "")).strip().lower() == ON


def outbox_dir() -> Path:
    return Path(settings.DEMO_OUTBOX_DIR)


def deliver(adapter: ChannelAdapter, outbound: OutboundMessage) -> DeliveryResult:
    """Record one reply as sent without contacting anyone. The file, if the adapter can
    write the message as one, is named after the ticket and the message, so a retry
    writes the same file again rather than a second one."""
    rendered = adapter.render(outbound)
    if rendered is None:
        return DeliveryResult(status="sent", demo=True)
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = (
        folder / f"ticket-{outbound.ticket_number}-message-{outbound.message_id}{rendered.suffix}"
    )
    path.write_bytes(rendered.content)
    logger.info("demo delivery of message %s kept as %s", outbound.message_id, path.name)
    return DeliveryResult(
        external_id=rendered.external_id, status="sent", demo=True, saved_as=path.name
    )
