"""Hand-built ticket timelines: every step through the real services at a frozen moment."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from unidesk.accounts.models import Agent, BusinessHours, Group
from unidesk.channels.ingest import ingest
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import automatic_message_send, reply_send
from unidesk.core.actor import Actor
from unidesk.tickets.models import Ticket
from unidesk.tickets.services import note_add, ticket_update

MSK = ZoneInfo("Europe/Moscow")


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def office_hours(db: None) -> BusinessHours:
    """Monday to Friday 09:00–18:00 in Moscow; Wednesday 12 June 2024 is a holiday."""
    return BusinessHours.objects.create(
        name="Office",
        time_zone="Europe/Moscow",
        weekly={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=["2024-06-12"],
    )


@pytest.fixture
def support(office_hours: BusinessHours) -> Group:
    return Group.objects.create(name="Support", business_hours=office_hours)


@pytest.fixture
def billing(db: None) -> Group:
    """Works around the clock."""
    return Group.objects.create(name="Billing")


@pytest.fixture
def support_agent(support: Group) -> Agent:
    return factories.agent(role="agent", groups=["Support"], name="Sofia")


@pytest.fixture
def billing_agent(billing: Group) -> Agent:
    return factories.agent(role="agent", groups=["Billing"], name="Boris")


@dataclass
class Timeline:
    """Steps of one ticket at given moments."""

    account: ChannelAccount
    committed: Callable[..., Any]
    ticket: Ticket | None = None

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """At ``moment``, with what runs after commit (the metrics subscriber) run as the
        step's transaction commits."""
        with time_machine.travel(moment, tick=False), self.committed(execute=True):
            yield

    def customer_writes(
        self, moment: datetime, text: str = "Hello", who: str = "ann", **extra: Any
    ) -> Ticket:
        kind = self.account.kind
        number = "+79990001122" if who == "ann" else f"+7999{zlib.crc32(who.encode()) % 10**7:07d}"
        address = {"email": f"{who}@example.com", "phone": number, "whatsapp": number}.get(
            kind, who
        )
        with self.at(moment):
            result = ingest(
                self.account,
                factories.inbound(
                    identity=(kind, address),
                    text=text,
                    thread_key="" if kind == "email" else f"thread-{who}-{self.account.pk}",
                    **extra,
                ),
            )
        self.ticket = result.ticket
        return result.ticket

    def agent_replies(self, moment: datetime, agent: Agent, *, status: str | None = None) -> None:
        assert self.ticket is not None
        with self.at(moment):
            reply_send(ticket=self.ticket, author=agent, text="An answer", status_after=status)

    def note(self, moment: datetime, agent: Agent) -> None:
        assert self.ticket is not None
        with self.at(moment):
            note_add(ticket=self.ticket, author=agent, text="Internal: check the warehouse")

    def auto_message(self, moment: datetime) -> None:
        assert self.ticket is not None
        with self.at(moment):
            automatic_message_send(ticket=self.ticket, text="We have your message.")

    def set(self, moment: datetime, agent: Agent | None = None, **changes: object) -> None:
        assert self.ticket is not None
        actor = Actor.for_agent(agent) if agent else Actor.system()
        with self.at(moment):
            ticket_update(ticket=self.ticket, actor=actor, **changes)  # type: ignore[arg-type]


@pytest.fixture
def timeline(
    db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[[Group], Timeline]:
    accounts: dict[int, ChannelAccount] = {}

    def make(group: Group) -> Timeline:
        if group.pk not in accounts:
            account, _ = factories.channel("api", name=f"Site form {group.name}")
            account.group = group
            account.save(update_fields=["group"])
            accounts[group.pk] = account
        return Timeline(account=accounts[group.pk], committed=django_capture_on_commit_callbacks)

    return make


@pytest.fixture
def frozen() -> Iterator[Callable[[datetime], None]]:
    travellers: list[time_machine.travel] = []

    def freeze(moment: datetime) -> None:
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield freeze
    for traveller in reversed(travellers):
        traveller.stop()
