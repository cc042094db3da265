"""The greeting bot: off by default; when on it introduces itself and what it can do,
offers quick replies, answers what it knows in the customer's words, and hands over to
the channel's group at once when asked or when it does not know."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine

from tests import factories
from tests.automation.conftest import SATURDAY, WORKING
from tests.support.webchat import visitor_says
from unidesk.automation.bot import HANDOVER, best_answer, bot_handle
from unidesk.automation.models import BotAnswer, BotConversation, BotState, ChatBot
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import reply_send
from unidesk.tickets.models import Direction, Message, Origin

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot(chat: ChannelAccount) -> ChatBot:
    bot = ChatBot.objects.create(channel=chat, enabled=True, name="Robin")
    BotAnswer.objects.create(
        bot=bot,
        question_en="Delivery times",
        question_ru="Сроки доставки",
        keywords="shipping, delivery, arrive, доставка, курьер",
        answer_en="We deliver in 2–3 days.",
        answer_ru="Доставляем за 2–3 дня.",
        position=1,
    )
    BotAnswer.objects.create(
        bot=bot,
        question_en="Returns",
        question_ru="Возврат товара",
        keywords="refund, return, money back, вернуть, возврат",
        answer_en="Returns are free within 14 days.",
        answer_ru="Вернуть товар можно бесплатно в течение 14 дней.",
        position=2,
    )
    return bot


def said(ticket_id: int) -> list[Message]:
    return list(Message.objects.filter(ticket_id=ticket_id, direction=Direction.OUT).order_by("id"))


def test_the_bot_is_off_unless_switched_on(
    chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    ChatBot.objects.create(channel=chat)  # exists, not switched on
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "Hi").ticket
        run_tasks()

    assert said(ticket.pk) == []


def test_it_introduces_itself_with_what_it_can_do_and_quick_replies(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "Hi there!").ticket
        run_tasks()

    (intro,) = said(ticket.pk)
    assert intro.origin == Origin.BOT
    assert intro.author_name == "Robin"
    assert intro.text.startswith("Hi! I'm Robin.")
    assert "delivery times, returns" in intro.text
    assert "I'll pass you to a person" in intro.text
    labels = [button["text"] for row in intro.metadata["buttons"] for button in row]
    assert labels == ["Delivery times", "Returns", "Talk to a person"]
    assert intro.metadata["buttons"][-1] == [{"text": "Talk to a person", "data": HANDOVER}]


def test_it_answers_in_the_customers_words_and_hands_over_when_it_cannot(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "Hello").ticket
        visitor_says(chat, "How long does shipping to Kazan take?")
        visitor_says(chat, "Can I pay with bitcoin?")
        visitor_says(chat, "Hello? Anyone?")
        run_tasks()

    _intro, answer, handover = said(ticket.pk)
    assert answer.text == "We deliver in 2–3 days."
    assert handover.text.startswith(
        "I don't know the answer to that, so I'm passing you to a person."
    )
    assert "We usually answer within 1 hour." in handover.text
    conversation = BotConversation.objects.get(ticket=ticket)
    assert (conversation.state, conversation.handover_reason) == (
        BotState.HANDED_OVER,
        "not_understood",
    )
    assert conversation.answers_given == 1


def test_talk_to_a_person_hands_over_at_once_to_the_channels_group(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False) as clock:
        ticket = visitor_says(chat, "Hi").ticket
        billing = factories.group("Billing")
        ticket.group = billing
        ticket.save(update_fields=["group"])
        visitor_says(chat, "Talk to a person", button=HANDOVER)
        run_tasks()
        ticket.refresh_from_db()
        assert ticket.group.name == "General"
        assert said(ticket.pk)[-1].text.startswith("Of course, I'm passing you to a person.")
        # From now on the usual pickup time runs.
        clock.shift(timedelta(minutes=4))
        run_tasks()

    assert said(ticket.pk)[-1].metadata.get("ask_email") is True


def test_a_quick_reply_button_gets_its_answer(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    returns = bot.answers.get(question_en="Returns")
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "Здравствуйте", language="ru").ticket
        visitor_says(chat, "Возврат товара", button=f"bot:answer:{returns.pk}", language="ru")
        run_tasks()

    assert said(ticket.pk)[-1].text == "Вернуть товар можно бесплатно в течение 14 дней."


def test_it_falls_silent_once_an_agent_writes(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    agent = factories.agent(groups=["General"])
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "Hi").ticket
        run_tasks()
        reply_send(ticket=ticket, author=agent, text="Hello, this is Anna.")
        visitor_says(chat, "How long does delivery take?")
        run_tasks()

    origins = [m.origin for m in said(ticket.pk)]
    assert origins == [Origin.BOT, Origin.AGENT]
    assert BotConversation.objects.get(ticket=ticket).handover_reason == "agent"


def test_a_real_question_it_cannot_answer_goes_to_a_person_straight_away(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "My invoice has the wrong company name on it").ticket
        run_tasks()

    intro, handover = said(ticket.pk)
    assert intro.text.startswith("Hi! I'm Robin.")
    assert "passing you to a person" in handover.text


def test_out_of_hours_the_bot_greets_and_its_handover_says_when_we_answer(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        ticket = visitor_says(chat, "Hi").ticket
        visitor_says(chat, "Talk to a person", button=HANDOVER)
        run_tasks()

    messages = said(ticket.pk)
    assert [m.origin for m in messages] == [Origin.BOT, Origin.BOT]  # no second auto-reply
    assert "We will answer on Monday in the morning, from 09:00." in messages[-1].text


def test_handling_the_same_message_twice_says_nothing_twice(
    bot: ChatBot, chat: ChannelAccount
) -> None:
    with time_machine.travel(WORKING, tick=False):
        result = visitor_says(chat, "Hi")
        bot_handle(result.message.pk)
        bot_handle(result.message.pk)

    assert len(said(result.ticket.pk)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("доставка", "Delivery times"),
        ("Когда приедет курьер с доставкой?", "Delivery times"),
        ("I want my money back", "Returns"),
        ("хочу вернуть товар", "Returns"),
        ("refunds", "Returns"),
        ("hello", None),
        ("order 12345", None),
        ("", None),
    ],
)
def test_matching_understands_word_forms_in_both_languages(
    bot: ChatBot, text: str, expected: str | None
) -> None:
    found = best_answer(list(bot.answers.all()), text)

    assert (found.question_en if found else None) == expected


def test_buttons_that_are_not_the_bots_are_left_alone(
    bot: ChatBot, chat: ChannelAccount, run_tasks: Callable[[], int]
) -> None:
    with time_machine.travel(WORKING, tick=False):
        ticket = visitor_says(chat, "Hi").ticket
        visitor_says(chat, "★★★★★", button="csat:5")
        run_tasks()

    assert [m.origin for m in said(ticket.pk)] == [Origin.BOT]
    assert BotConversation.objects.get(ticket=ticket).state == BotState.ACTIVE
