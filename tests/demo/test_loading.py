"""Loading the demo: into which desks, how fast, and always the same way."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.core import clock
from unidesk.crosschannel.models import MergeSuggestion
from unidesk.customers.models import Customer
from unidesk.demo import loader
from unidesk.tickets.models import Message, Ticket


def run_demo_command(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_the_demo_loads_into_an_empty_desk_quickly(db: None) -> None:
    started = time.process_time()
    summary = loader.load()
    # CPU time, not wall time: neighbours on a shared CI machine should not fail the test.
    cpu_seconds = time.process_time() - started

    assert summary is not None
    assert summary.tickets == Ticket.objects.count()
    assert summary.messages == Message.objects.count()
    if connection.vendor == "sqlite":
        assert cpu_seconds < 5


def snapshot() -> list[Any]:
    """The desk as people see it, without database ids, numbers or generated secrets."""
    return [
        (
            ticket.subject,
            ticket.channel,
            ticket.status,
            ticket.priority,
            ticket.assignee.email if ticket.assignee else None,
            ticket.created_at,
            ticket.updated_at,
            sorted(ticket.tags.values_list("name", flat=True)),
            list(ticket.messages.values_list("direction", "text", "created_at", "external_id")),
        )
        for ticket in Ticket.objects.select_related("assignee").order_by("number")
    ]


def test_the_same_moment_gives_the_same_desk(db: None) -> None:
    moment = datetime(2025, 3, 14, 13, 30, tzinfo=UTC)
    snapshots = []
    for _ in range(2):
        with transaction.atomic(), clock.as_of(moment):
            loader.load()
            snapshots.append(snapshot())
            transaction.set_rollback(True)

    assert snapshots[0]
    assert snapshots[0] == snapshots[1]


def test_loaded_in_the_morning_agents_still_answered_in_working_hours(db: None) -> None:
    early = datetime(2025, 3, 14, 4, 30, tzinfo=UTC)  # 07:30 in Moscow

    with clock.as_of(early):
        loader.load()

    hours = {
        message.created_at.astimezone(ZoneInfo("Europe/Moscow")).hour
        for message in Message.objects.filter(direction="out")
    }
    assert hours <= set(range(8, 23))
    assert max(Message.objects.values_list("created_at", flat=True)) < early


def test_the_command_loads_the_demo_into_an_empty_desk(db: None) -> None:
    output = run_demo_command()

    assert loader.demo_agent_exists()
    assert f"{Ticket.objects.count()} tickets" in output
    assert loader.DEMO_LOGIN_EMAIL in output


def test_the_command_refuses_a_desk_that_has_agents(db: None) -> None:
    factories.agent(role="admin", email="boss@example.com")

    with pytest.raises(CommandError, match="already has agents"):
        run_demo_command()

    assert not Ticket.objects.exists()
    assert not loader.demo_agent_exists()


def test_the_command_run_twice_loads_the_demo_once(db: None) -> None:
    run_demo_command()
    counts = [
        model.objects.count() for model in (Agent, Customer, Ticket, Message, MergeSuggestion)
    ]

    output = run_demo_command()

    assert "already loaded" in output
    assert counts == [
        model.objects.count() for model in (Agent, Customer, Ticket, Message, MergeSuggestion)
    ]


def test_forced_the_demo_is_added_once_beside_existing_agents(db: None) -> None:
    boss = factories.agent(role="admin", email="boss@example.com")

    run_demo_command("--force")
    tickets = Ticket.objects.count()
    output = run_demo_command("--force")

    assert "already loaded" in output
    assert Ticket.objects.count() == tickets > 0
    assert (
        Agent.objects.filter(email="boss@example.com").get().check_password("correct horse battery")
    )
    assert Agent.objects.get(pk=boss.pk).role == "admin"


def test_the_worker_finds_nothing_to_do_in_the_demo_history(db: None, run_tasks: Any) -> None:
    loader.load()
    messages = Message.objects.count()

    # A worker starting after the load would otherwise answer week-old conversations now.
    assert run_tasks() == 0
    assert Message.objects.count() == messages
