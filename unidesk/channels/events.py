"""Facts about channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from unidesk.core.events import Event


@dataclass(frozen=True)
class DeliveryGaveUp(Event):
    """A reply could not be delivered and will not be retried."""

    name: ClassVar[str] = "delivery.gave_up"
    message_id: int
    ticket_id: int
    reason: str
