"""Facts about channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from unidesk.core.actor import Actor
from unidesk.core.events import Event


@dataclass(frozen=True)
class DeliveryGaveUp(Event):
    """A reply could not be delivered and will not be retried."""

    name: ClassVar[str] = "delivery.gave_up"
    message_id: int
    ticket_id: int
    reason: str


@dataclass(frozen=True)
class ButtonPressed(Event):
    """A customer pressed one of the buttons of our message; ``data`` is the button's data
    (``csat:…`` for survey answers, ``bot:…`` for the bot). The press is also stored as the
    customer's message ``message_id``."""

    name: ClassVar[str] = "channel.button_pressed"
    message_id: int
    ticket_id: int
    data: str
    actor: Actor
