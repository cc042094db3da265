"""The demo desk's ratings and reports: what the head of support sees on the reports page."""

from __future__ import annotations

import pytest
from django.test import Client

from unidesk.accounts.models import Agent, Group
from unidesk.channels.models import Delivery
from unidesk.csat.models import CsatPolicy, Score, Survey, SurveyState
from unidesk.demo import loader
from unidesk.reports.models import TicketMetrics
from unidesk.tickets.models import Origin, Status, Ticket

pytestmark = pytest.mark.usefixtures("demo", "db")


def test_every_solve_of_the_week_has_its_survey_and_most_are_answered() -> None:
    solved = Ticket.objects.filter(status__in=[Status.SOLVED, Status.CLOSED], is_public=False)
    surveys = Survey.objects.all()
    assert surveys.count() == solved.count()
    assert set(surveys.values_list("state", flat=True)) == {SurveyState.SENT}
    rated = surveys.exclude(rating=None)
    assert rated.count() >= surveys.count() // 2
    assert rated.filter(score=Score.GREAT).count() > rated.filter(score=Score.BAD).count()
    assert rated.filter(score=Score.BAD).exists()
    assert rated.exclude(comment="").exists()
    for survey in rated:
        assert survey.rated_at is not None
        assert survey.sent_at is not None
        assert survey.solved_at <= survey.sent_at <= survey.rated_at
    # Nothing was sent for them: the outbox only carried what the bot and the system said.
    assert not Delivery.objects.exclude(message__origin__in=[Origin.BOT, Origin.SYSTEM]).exists()


def test_channels_ask_and_groups_have_working_hours() -> None:
    assert CsatPolicy.objects.filter(enabled=True).count() >= 5
    assert not Group.objects.filter(business_hours=None).exists()


def test_the_reports_page_shows_the_week() -> None:
    assert TicketMetrics.objects.count() == Ticket.objects.count()
    client = Client()
    client.force_login(Agent.objects.get(email=loader.DEMO_LOGIN_EMAIL))
    response = client.get("/reports/")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.tickets_created == Ticket.objects.count()
    assert summary.csat.responses == Survey.objects.exclude(rating=None).count()
    first = summary.durations["first_response_seconds"]
    business = summary.durations["first_response_business_seconds"]
    assert first.median is not None
    assert business.median is not None
    assert business.median <= first.median
