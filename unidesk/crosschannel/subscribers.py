"""Event handlers of this app; ``unidesk.wiring`` subscribes them (in the background,
so a customer's message is stored first and looked through afterwards)."""

from __future__ import annotations

from unidesk.crosschannel.services import (
    message_names_contacts,
    suggest_merges_for_message,
    suggestions_follow_merge,
)
from unidesk.tickets.events import CustomersMerged, MessageReceived


def names_contacts(event: MessageReceived) -> bool:
    return message_names_contacts(event.message_id)


def on_message_received(event: MessageReceived) -> None:
    suggest_merges_for_message(message_id=event.message_id)


def on_customers_merged(event: CustomersMerged) -> None:
    suggestions_follow_merge(
        source_id=event.source_id, target_id=event.target_id, actor=event.actor
    )
