"""Subscribers that ask after a solve and record button presses (wired in
``unidesk.wiring``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from unidesk.channels.events import ButtonPressed, DeliveryGaveUp
from unidesk.core import clock
from unidesk.csat import links
from unidesk.csat.models import SurveyState
from unidesk.csat.services import (
    SOLVED_STATES,
    survey_rate_from_button,
    survey_schedule,
    survey_send,
    surveys_cancel_scheduled,
    surveys_mark_undelivered,
)
from unidesk.tickets.events import TicketUpdated
from unidesk.tickets.models import Status


def ticket_status_changed(event: TicketUpdated) -> None:
    """Runs right after the change commits: a solve is asked about at once when its
    channel asks at once (chat), a reopening cancels a survey not yet sent. The periodic
    sweep catches both if this process dies in between."""
    change = event.changes.get("status")
    if not change:
        return
    old, new = change
    if new in SOLVED_STATES:
        survey = survey_schedule(ticket_id=event.ticket_id, actor=event.actor)
        due_now = survey is not None and survey.due_at <= clock.now()
        if survey is not None and survey.state == SurveyState.SCHEDULED and due_now:
            survey_send(survey_id=survey.pk)
    elif old == Status.SOLVED:
        surveys_cancel_scheduled(
            ticket_id=event.ticket_id, reason=_("Reopened before the survey was sent.")
        )


def delivery_gave_up(event: DeliveryGaveUp) -> None:
    """A survey that could not be delivered was not asked: say so on the ticket."""
    surveys_mark_undelivered(message_id=event.message_id, reason=event.reason)


def button_pressed(event: ButtonPressed) -> None:
    if links.is_survey_button(event.data):
        survey_rate_from_button(message_id=event.message_id)
