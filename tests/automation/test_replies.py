"""Honest automatic replies: outside business hours a new conversation on any channel
hears when a person will answer; during them, a live chat nobody has taken within the
channel's pickup time hears so, with the offer to leave an email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine

from tests import factories
from tests.automation.conftest import SATURDAY, WORKING
from tests.support.webchat import visitor_says
from unidesk.accounts.models import Group
from unidesk.automation.models import AutoReplyPolicy
from unidesk.automation.replies import out_of_hours_reply
from unidesk.channels.api.adapter import ApiAdapter
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import channel_update_settings, reply_send
from unidesk.core.actor import Actor
from unidesk.tickets.models import Direction, Message, Origin
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


def automatic(ticket_id: int) -> list[Message]:
    return list(
        Message.objects.filter(ticket_id=ticket_id, direction=Direction.OUT).exclude(
            origin=Origin.AGENT
        )
    )


def test_a_saturday_chat_hears_when_a_person_will_answer(
    chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        ticket = visitor_says(chat, "Where is my order?").ticket
        run_tasks()

    (reply,) = automatic(ticket.pk)
    assert reply.origin == Origin.AUTO_REPLY
    assert reply.author_name == "Shop chat"
    assert "It is Saturday now, a day off for our team." in reply.text
    assert "We will answer on Monday in the morning, from 09:00." in reply.text
    assert "We usually answer within 1 hour." in reply.text
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_the_reply_speaks_the_language_of_the_chat_page(
    chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        ticket = visitor_says(chat, "Где мой заказ?", language="ru").ticket
        run_tasks()

    (reply,) = automatic(ticket.pk)
    assert "Спасибо" in reply.text
    assert "понедельник" in reply.text


def test_every_channel_gets_it_but_one_that_acknowledges_by_itself(
    api: ChannelAccount, run_tasks: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        plain = factories.conversation(api, thread_key="a").ticket
        run_tasks()
        monkeypatch.setattr(ApiAdapter, "acknowledges_new_tickets", True)
        acknowledging = factories.conversation(api, thread_key="b").ticket
        run_tasks()

    assert len(automatic(plain.pk)) == 1
    assert automatic(acknowledging.pk) == []


def test_nothing_is_said_within_business_hours(
    api: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False):
        ticket = factories.conversation(api).ticket
        run_tasks()

    assert automatic(ticket.pk) == []


def test_the_texts_are_editable_and_the_reply_can_be_switched_off(
    api: ChannelAccount, general: Group, run_tasks: Callable[[], int]
) -> None:
    AutoReplyPolicy.objects.create(
        group=None, out_of_hours_en="Desk: {promise}", out_of_hours_ru="Служба: {promise}"
    )
    own = AutoReplyPolicy.objects.create(
        group=general, out_of_hours_en="General team, ticket {ticket}. {promise}"
    )
    with time_machine.travel(SATURDAY, tick=False):
        first = factories.conversation(api, thread_key="1").ticket
        run_tasks()
        own.out_of_hours = False
        own.save()
        second = factories.conversation(api, thread_key="2").ticket
        run_tasks()

    (reply,) = automatic(first.pk)
    assert reply.text.startswith(f"General team, ticket #{first.number}. We usually answer")
    assert automatic(second.pk) == []


def test_a_repeated_task_does_not_say_it_twice(api: ChannelAccount) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        ticket = factories.conversation(api).ticket
        out_of_hours_reply(ticket)
        out_of_hours_reply(ticket)

    assert len(automatic(ticket.pk)) == 1


def test_a_public_thread_gets_none_as_the_reply_would_be_public(
    api: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        public = factories.conversation(api, is_public=True).ticket
        run_tasks()

    assert automatic(public.pk) == []


# --- the live chat's pickup time -------------------------------------------------------------


def test_a_chat_nobody_takes_hears_so_and_may_leave_an_email(
    chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False) as clock:
        ticket = visitor_says(chat, "Hello, anyone?").ticket
        run_tasks()
        assert automatic(ticket.pk) == []
        clock.shift(timedelta(minutes=2, seconds=50))
        run_tasks()
        assert automatic(ticket.pk) == []
        clock.shift(timedelta(seconds=20))
        run_tasks()

    (notice,) = automatic(ticket.pk)
    assert notice.metadata["ask_email"] is True
    assert "leave your email" in notice.text
    assert notice.origin == Origin.AUTO_REPLY


@pytest.mark.parametrize("taken_by", ["reply", "assignment"])
def test_a_chat_an_agent_took_hears_nothing(
    chat: ChannelAccount, run_tasks: Callable[[], int], taken_by: str
) -> None:
    agent = factories.agent(groups=["General"])
    with time_machine.travel(WORKING, tick=False) as clock:
        ticket = visitor_says(chat, "Hello").ticket
        if taken_by == "reply":
            reply_send(ticket=ticket, author=agent, text="Hi, I'm here")
        else:
            ticket_update(ticket=ticket, actor=Actor.for_agent(agent), assignee=agent)
        clock.shift(timedelta(minutes=5))
        run_tasks()

    assert automatic(ticket.pk) == []


def test_the_pickup_time_is_per_channel_and_zero_means_never(
    chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    channel_update_settings(account=chat, settings={"pickup_minutes": "0"})
    with time_machine.travel(WORKING, tick=False) as clock:
        ticket = visitor_says(chat, "Hello").ticket
        clock.shift(timedelta(hours=2))
        run_tasks()

    assert automatic(ticket.pk) == []


def test_out_of_hours_the_chat_hears_only_when_we_answer(
    chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(SATURDAY, tick=False) as clock:
        ticket = visitor_says(chat, "Hello").ticket
        clock.shift(timedelta(minutes=10))
        run_tasks()

    (only,) = automatic(ticket.pk)
    assert "ask_email" not in only.metadata
