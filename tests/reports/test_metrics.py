"""Each ticket's measurements, on timelines with known answers: business hours across a
weekend and a holiday, internal notes and automatic messages that are not replies, reopened
tickets, a ticket moved to another group."""

from __future__ import annotations

import io

import pytest

from tests.reports.conftest import msk
from unidesk.reports.models import TicketMetrics
from unidesk.reports.services import metrics_fill_missing, metrics_refresh_stale
from unidesk.tickets.models import Status

pytestmark = pytest.mark.django_db

HOUR = 3600


def metrics_of(ticket) -> TicketMetrics:
    return TicketMetrics.objects.get(ticket=ticket)


def test_first_response_across_a_holiday_counts_only_working_hours(
    support, support_agent, timeline
) -> None:
    line = timeline(support)
    # Tuesday 17:00; Wednesday 12 June is a holiday; the answer comes on Thursday at 10:00.
    line.customer_writes(msk(2024, 6, 11, 17, 0))
    line.agent_replies(msk(2024, 6, 13, 10, 0), support_agent)

    row = metrics_of(line.ticket)
    assert row.first_response_seconds == 41 * HOUR
    assert row.first_response_business_seconds == 2 * HOUR  # Tue 17–18, Thu 09–10
    assert row.first_response_at == msk(2024, 6, 13, 10, 0)
    assert row.group_id == support.pk


def test_resolution_across_a_weekend(support, support_agent, timeline) -> None:
    line = timeline(support)
    line.customer_writes(msk(2024, 6, 14, 17, 30))  # Friday
    line.agent_replies(msk(2024, 6, 14, 17, 45), support_agent)
    line.agent_replies(msk(2024, 6, 17, 9, 30), support_agent, status=Status.SOLVED)  # Monday

    row = metrics_of(line.ticket)
    assert row.resolution_seconds == 64 * HOUR
    assert row.resolution_business_seconds == HOUR  # Fri 17:30–18:00, Mon 09:00–09:30
    assert row.first_response_seconds == 15 * 60
    assert row.first_response_business_seconds == 15 * 60
    assert row.replies_to_solve == 2
    assert row.status == Status.SOLVED


def test_notes_and_automatic_messages_are_not_replies(support, support_agent, timeline) -> None:
    line = timeline(support)
    line.customer_writes(msk(2024, 6, 10, 10, 0))
    line.auto_message(msk(2024, 6, 10, 10, 0, 5))
    line.note(msk(2024, 6, 10, 10, 20), support_agent)
    line.agent_replies(msk(2024, 6, 10, 11, 0), support_agent)
    line.note(msk(2024, 6, 10, 11, 30), support_agent)
    line.set(msk(2024, 6, 10, 12, 0), support_agent, status=Status.SOLVED)

    row = metrics_of(line.ticket)
    # The automatic acknowledgement is not the first response; the agent's reply is.
    assert row.first_response_seconds == HOUR
    assert row.replies_to_solve == 1
    assert row.agent_replies == 1


def test_a_reopened_ticket_is_measured_to_its_latest_solve(
    support, support_agent, timeline
) -> None:
    line = timeline(support)
    line.customer_writes(msk(2024, 6, 10, 10, 0))  # Monday
    line.agent_replies(msk(2024, 6, 10, 10, 30), support_agent, status=Status.SOLVED)
    assert metrics_of(line.ticket).resolution_seconds == 30 * 60

    line.customer_writes(msk(2024, 6, 10, 15, 0), text="It broke again")
    row = metrics_of(line.ticket)
    assert (row.status, row.solved_at, row.resolution_seconds) == (Status.OPEN, None, None)
    assert row.reopen_count == 1

    line.agent_replies(msk(2024, 6, 10, 16, 0), support_agent)
    line.agent_replies(msk(2024, 6, 11, 10, 0), support_agent, status=Status.SOLVED)
    row = metrics_of(line.ticket)
    assert row.reopen_count == 1
    assert row.replies_to_solve == 3
    assert row.resolution_seconds == 24 * HOUR
    # Monday 10:00–18:00 and Tuesday 09:00–10:00.
    assert row.resolution_business_seconds == 9 * HOUR
    # The first response stays the first one.
    assert row.first_response_seconds == 30 * 60


def test_a_group_around_the_clock_counts_business_time_as_calendar_time(
    billing, billing_agent, timeline
) -> None:
    line = timeline(billing)
    line.customer_writes(msk(2024, 6, 15, 23, 0))  # Saturday night
    line.agent_replies(msk(2024, 6, 16, 1, 0), billing_agent, status=Status.SOLVED)

    row = metrics_of(line.ticket)
    assert row.first_response_seconds == row.first_response_business_seconds == 2 * HOUR
    assert row.resolution_business_seconds == 2 * HOUR


def test_moving_the_ticket_moves_its_numbers_to_the_new_group(
    support, billing, support_agent, timeline
) -> None:
    line = timeline(support)
    line.customer_writes(msk(2024, 6, 10, 10, 0))
    line.set(msk(2024, 6, 10, 10, 5), support_agent, group=billing, assignee=support_agent)

    row = metrics_of(line.ticket)
    assert (row.group_id, row.agent_id) == (billing.pk, support_agent.pk)


def test_lost_refreshes_are_caught_up_by_the_sweeps(support, support_agent, timeline) -> None:
    line = timeline(support)
    line.customer_writes(msk(2024, 6, 10, 10, 0))
    line.agent_replies(msk(2024, 6, 10, 10, 30), support_agent, status=Status.SOLVED)
    TicketMetrics.objects.all().delete()

    with line.at(msk(2024, 6, 10, 11, 0)):
        assert metrics_refresh_stale() == 1
        assert metrics_refresh_stale() == 0
    assert metrics_of(line.ticket).resolution_seconds == 30 * 60

    TicketMetrics.objects.all().delete()
    assert metrics_fill_missing() == 1
    assert metrics_of(line.ticket).replies_to_solve == 1


def test_the_rebuild_command_recomputes_after_business_hours_change(
    support, support_agent, timeline, office_hours
) -> None:
    from django.core.management import call_command

    line = timeline(support)
    line.customer_writes(msk(2024, 6, 11, 17, 0))
    line.agent_replies(msk(2024, 6, 13, 10, 0), support_agent)
    assert metrics_of(line.ticket).first_response_business_seconds == 2 * HOUR
    # The holiday was entered by mistake: without it, Wednesday counts in full.
    office_hours.holidays = []
    office_hours.save(update_fields=["holidays"])
    assert metrics_of(line.ticket).first_response_business_seconds == 2 * HOUR

    call_command("reports_rebuild", stdout=io.StringIO())
    assert metrics_of(line.ticket).first_response_business_seconds == 11 * HOUR
