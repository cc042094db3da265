"""Facts about merge suggestions and links between tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from unidesk.core.actor import Actor
from unidesk.core.events import Event


@dataclass(frozen=True)
class MergeSuggested(Event):
    """A customer wrote a phone number or an address that belongs to another customer."""

    name: ClassVar[str] = "customer.merge_suggested"
    suggestion_id: int
    customer_id: int
    candidate_id: int


@dataclass(frozen=True)
class TicketsLinked(Event):
    name: ClassVar[str] = "ticket.linked"
    ticket_id: int
    other_id: int
    kind: str
    actor: Actor


@dataclass(frozen=True)
class TicketsUnlinked(Event):
    name: ClassVar[str] = "ticket.unlinked"
    ticket_id: int
    other_id: int
    actor: Actor


@dataclass(frozen=True)
class TicketClosedAsDuplicate(Event):
    """``ticket_id`` was closed as a duplicate of ``original_id``; ``notice_id`` is the
    message that told the customer, if one could be sent."""

    name: ClassVar[str] = "ticket.closed_as_duplicate"
    ticket_id: int
    original_id: int
    actor: Actor
    notice_id: int | None = None
