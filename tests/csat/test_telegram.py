"""The whole round on Telegram, over HTTP with a fake Bot API: the customer writes, the
agent solves, the survey goes out with buttons, the customer presses one."""

from __future__ import annotations

import copy
import json

import pytest

from tests.channels.support import fixture, post_webhook
from tests.channels.telegram.fake import SECRET_TOKEN
from unidesk.channels.services import reply_send
from unidesk.core.actor import Actor
from unidesk.csat.models import Survey, SurveyState
from unidesk.csat.services import csat_policy_set
from unidesk.tickets.models import Message, Status, Ticket
from unidesk.tickets.services import ticket_update

SIGNED = {"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN}


@pytest.mark.django_db(transaction=True)
def test_a_telegram_customer_rates_with_a_button(bot, telegram, run_tasks) -> None:
    from tests import factories

    csat_policy_set(account=bot, enabled=True)
    agent = factories.agent(role="agent", groups=["Support"])
    post_webhook(bot, fixture("telegram", "text_message"), SIGNED)
    run_tasks()
    ticket = Ticket.objects.get()

    reply_send(
        ticket=ticket, author=agent, text="Заказ в пути, будет завтра.", status_after="solved"
    )
    run_tasks()

    survey = Survey.objects.get()
    assert survey.state == SurveyState.SENT
    question = telegram.sent("sendMessage")[-1]
    assert "не о товаре" in question["text"] or "not about the product" in question["text"]
    keyboard = question["reply_markup"]["inline_keyboard"][0]
    assert len(keyboard) == 3
    great = keyboard[2]["callback_data"]
    assert great.startswith("csat:")

    press = copy.deepcopy(fixture("telegram", "callback_query"))
    press["update_id"] = 815099
    press["callback_query"]["data"] = great
    press["callback_query"]["message"]["reply_markup"] = {"inline_keyboard": [keyboard]}
    response = post_webhook(bot, json.dumps(press).encode(), SIGNED)
    assert response.status_code == 200
    run_tasks()

    survey.refresh_from_db()
    assert (survey.rating, survey.score) == (3, "great")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert Ticket.objects.count() == 1
    # The thank-you went to the same chat, with the page for a comment.
    thanks = telegram.sent("sendMessage")[-1]
    assert str(thanks["chat_id"]) == "700100200"
    assert "/s/" in thanks["text"]
    assert Message.objects.filter(ticket=ticket, metadata__button=great).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_survey_the_platform_refuses_is_recorded_as_not_asked(bot, telegram, run_tasks) -> None:
    from tests import factories
    from tests.channels.telegram.fake import error

    csat_policy_set(account=bot, enabled=True)
    agent = factories.agent(role="agent", groups=["Support"])
    post_webhook(bot, fixture("telegram", "text_message"), SIGNED)
    run_tasks()
    ticket = Ticket.objects.get()
    telegram.fail_next(r"/sendMessage$", error(403, "Forbidden: bot was blocked by the user"))
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), status="solved")
    survey = Survey.objects.get()
    run_tasks()

    survey.refresh_from_db()
    assert survey.state == SurveyState.UNREACHABLE
    assert "blocked" in survey.state_reason
