"""Facts about satisfaction surveys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from unidesk.core.actor import Actor
from unidesk.core.events import Event


@dataclass(frozen=True)
class SurveySent(Event):
    name: ClassVar[str] = "csat.sent"
    survey_id: int
    ticket_id: int


@dataclass(frozen=True)
class SurveyRated(Event):
    """A customer rated (or changed the rating or comment of) a survey. ``score`` is bad,
    okay or great whatever the scale."""

    name: ClassVar[str] = "csat.rated"
    survey_id: int
    ticket_id: int
    rating: int
    scale: int
    score: str
    actor: Actor
    agent_id: int | None = None
    group_id: int | None = None


@dataclass(frozen=True)
class BadRatingReceived(Event):
    """A survey's score became "bad": automation rules may act on it, and it waits in the
    supervisors' review list."""

    name: ClassVar[str] = "csat.rated_bad"
    survey_id: int
    ticket_id: int
    rating: int
    scale: int
    actor: Actor
    agent_id: int | None = None
    group_id: int | None = None
