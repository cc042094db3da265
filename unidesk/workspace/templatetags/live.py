"""Template helpers for the live workspace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

register = template.Library()


@register.filter
def last_message_id(timeline: Iterable[Any]) -> int:
    """The newest message on a ticket's timeline (what the agent has on screen)."""
    newest = 0
    for entry in timeline:
        message = getattr(entry, "message", None)
        if message is not None and message.pk > newest:
            newest = message.pk
    return newest
