"""Reads for WhatsApp conversations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.db.models.functions import Coalesce

from unidesk.core import clock
from unidesk.tickets.models import Direction, Message, Ticket

# https://developers.facebook.com/docs/whatsapp/pricing#customer-service-windows
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ServiceWindow:
    is_open: bool
    last_customer_message_at: datetime | None
    closes_at: datetime | None


def customer_service_window(ticket: Ticket) -> ServiceWindow:
    """Whether free-form messages reach the customer now: only within 24 hours of their
    last message to this number, on this ticket or any other."""
    last = (
        Message.objects.filter(
            channel_account_id=ticket.channel_account_id,
            direction=Direction.IN,
            ticket__requester_identity_id=ticket.requester_identity_id,
        )
        .annotate(at=Coalesce("sent_at", "created_at"))
        .aggregate(last=Max("at"))["last"]
    )
    if last is None or ticket.requester_identity_id is None:
        return ServiceWindow(is_open=False, last_customer_message_at=last, closes_at=None)
    closes = last + WINDOW
    return ServiceWindow(
        is_open=clock.now() < closes, last_customer_message_at=last, closes_at=closes
    )
