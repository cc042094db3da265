"""The chat widget on the customer's own site (``GET /widget.js``).

Unlike the platform adapters there is no outside service: visitors talk to the desk over a
websocket (``consumers.VisitorConsumer``), and their messages go into the one ingestion
path from there. Replies leave through the outbox like every channel's; ``send`` pushes
them to the visitor's open tabs through the channel layer. A visitor who is not connected
at that moment loses nothing: the widget reads what it missed from the conversation's
history when it reconnects, and then reports it delivered or read.

A conversation is keyed by ``thread_key``: one per anonymous browser, one per identity the
site signed (see ``identity``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from unidesk.channels.base import (
    ChannelAdapter,
    DeliveryResult,
    OutboundMessage,
    PermanentError,
)
from unidesk.channels.registry import register
from unidesk.channels.webchat import config
from unidesk.channels.webchat.payloads import reply_payload
from unidesk.core import realtime


@register
class WebchatAdapter(ChannelAdapter):
    kind = "webchat"
    settings_names = config.SETTING_NAMES
    default_settings = config.DEFAULTS
    inbound_secret_use = gettext_lazy(
        "Your server signs visitors’ identities with it (HMAC-SHA256) when identity_required is"
        " on; it must never reach the browser."
    )

    @classmethod
    def settings_problems(cls, values: Mapping[str, Any]) -> dict[str, str]:
        return config.problems(values)

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        if not outbound.thread_key:
            raise PermanentError(_("This conversation has no web chat visitor to write to."))
        push: dict[str, Any] = {"type": "chat.message", "message_id": outbound.message_id}
        if not outbound.attachments:
            # The widget draws it as it is; with files it reads the message back, for
            # their signed links.
            push["payload"] = reply_payload(
                message_id=outbound.message_id,
                text=outbound.text,
                created_at=outbound.created_at,
                origin=outbound.origin,
                author=outbound.author_name,
                status="sent",
                metadata=outbound.metadata,
            )
        realtime.push(realtime.visitor_group(self.config.id, outbound.thread_key), push)
        return DeliveryResult(status="sent")
