"""The greeting bot of a channel (off unless an administrator switches it on).

On a new conversation it introduces itself, says what it can do, and offers quick-reply
buttons (its answers, and "Talk to a person"). It answers the questions it knows — by
button, or when the customer's words match an answer's question or keywords in any
grammatical form (the same Russian and English stemming as search) — and hands over to a
person at once when asked, when it does not know the answer, or as soon as an agent
writes. Everything it says is marked as the bot's (``Origin.BOT``) for customer and agent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from unidesk.accounts.availability import answer_promise, describe_promise
from unidesk.accounts.selectors import default_group
from unidesk.automation.models import BotAnswer, BotConversation, BotState, ChatBot
from unidesk.automation.replies import conversation_language, pickup_watch
from unidesk.channels.services import automatic_message_send
from unidesk.core import clock
from unidesk.core.actor import Actor
from unidesk.core.text import search_terms
from unidesk.tickets.models import Direction, Message, Origin, Ticket
from unidesk.tickets.services import ticket_update

logger = logging.getLogger("unidesk.automation")

HANDOVER = "bot:handover"
ANSWER_PREFIX = "bot:answer:"
MAX_BUTTONS = 6

# Words that carry no question: greetings, pronouns, question words, politeness.
_STOP_WORDS = (
    "a an the i me my mine you your we our us is are was were be been am to of in on at for "
    "and or but it its this that these those do does did can could would will how what when "
    "where why which who hello hi hey please thanks thank ok okay yes no not there here "
    "with about from have has get got good morning evening afternoon day dear long take "
    "much many need want like tell know question help "
    "я мне меня мой моя мое мои ты тебя вы вас вам ваш ваша мы нас нам наш это этот эта "
    "как что где когда почему зачем какой какая какие кто и или в во на с со по для у о об "
    "не ни ли а но да нет же бы привет здравствуйте здравствуй добрый доброе день вечер утро "
    "спасибо пожалуйста можно хочу хотел хотела подскажите скажите есть уже еще ещё "
    "сколько долго нужно надо знать вопрос помогите помочь"
)
_DIGITS = re.compile(r"^\d+$")


@lru_cache(maxsize=1)
def _stop_stems() -> frozenset[str]:
    return frozenset(search_terms(_STOP_WORDS))


def meaningful_terms(text: str) -> set[str]:
    """The stems of the words that carry the question."""
    stop = _stop_stems()
    return {t for t in search_terms(text, limit=2000) if t not in stop and not _DIGITS.match(t)}


def best_answer(answers: list[BotAnswer], text: str) -> BotAnswer | None:
    """The answer whose question and keywords cover the customer's words best, if any
    covers enough of them: two shared words, or one that is a quarter of what they said."""
    words = meaningful_terms(text)
    if not words:
        return None
    best: tuple[float, int, BotAnswer] | None = None
    for answer in answers:
        known = meaningful_terms(
            f"{answer.question_en} {answer.question_ru} {answer.keywords.replace(',', ' ')}"
        )
        shared = len(words & known)
        if shared == 0:
            continue
        coverage = shared / len(words)
        if shared < 2 and coverage < 0.25:
            continue
        score = (coverage, shared, answer)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else None


def bot_for(ticket: Ticket) -> ChatBot | None:
    if ticket.channel_account_id is None or ticket.is_public:
        return None
    return ChatBot.objects.filter(channel_id=ticket.channel_account_id, enabled=True).first()


@dataclass(frozen=True)
class Speech:
    """What the bot says: text and quick-reply buttons."""

    text: str
    buttons: list[list[dict[str, str]]]


def _localized(answer: BotAnswer, language: str, field: str) -> str:
    own = str(getattr(answer, f"{field}_{language}", "") or "")
    return own or str(getattr(answer, f"{field}_en", ""))


def _handover_row() -> list[dict[str, str]]:
    return [{"text": _("Talk to a person"), "data": HANDOVER}]


def introduction(bot: ChatBot, answers: list[BotAnswer], language: str) -> Speech:
    """Call inside ``translation.override(language)``."""
    name = bot.name or _("the assistant bot")
    own = bot.intro_ru if language == "ru" else bot.intro_en
    topics = [_localized(a, language, "question") for a in answers if a.as_button]
    if own:
        text = own.replace("{name}", name)
    elif topics:
        text = _(
            "Hi! I'm %(name)s. I can answer questions about: %(topics)s. Ask me anything; "
            "if I don't know the answer, I'll pass you to a person. How can I help?"
        ) % {"name": name, "topics": ", ".join(t.rstrip("?").lower() for t in topics)}
    else:
        text = _(
            "Hi! I'm %(name)s. I can answer simple questions. Ask me anything; if I don't "
            "know the answer, I'll pass you to a person. How can I help?"
        ) % {"name": name}
    buttons = [
        [{"text": topic, "data": f"{ANSWER_PREFIX}{answer.pk}"}]
        for topic, answer in zip(topics, [a for a in answers if a.as_button], strict=True)
    ][:MAX_BUTTONS]
    return Speech(text=text, buttons=[*buttons, _handover_row()])


def bot_handle(message_id: int) -> None:
    """React to one customer message on a channel with a bot. Safe to run twice."""
    message = (
        Message.objects.select_related(
            "ticket__channel_account", "ticket__group", "ticket__requester"
        )
        .filter(pk=message_id, direction=Direction.IN)
        .first()
    )
    if message is None:
        return
    ticket = message.ticket
    bot = bot_for(ticket)
    if bot is None:
        return
    with transaction.atomic():
        conversation, created = BotConversation.objects.get_or_create(
            ticket=ticket, defaults={"bot": bot, "started_at": clock.now()}
        )
        conversation = BotConversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.state != BotState.ACTIVE or message.pk <= conversation.handled_until:
            return
        conversation.handled_until = message.pk
        conversation.save(update_fields=["handled_until"])
        if not created and _an_agent_answered(ticket):
            _stand_down(conversation, "agent")
            return
        _converse(bot, conversation, ticket, message, greet=created)


def _an_agent_answered(ticket: Ticket) -> bool:
    return Message.objects.filter(ticket=ticket, origin=Origin.AGENT,
                                  direction=Direction.OUT).exists()  # fmt: skip


def _stand_down(conversation: BotConversation, reason: str) -> None:
    conversation.state = BotState.HANDED_OVER
    conversation.handover_reason = reason
    conversation.handed_over_at = clock.now()
    conversation.save(update_fields=["state", "handover_reason", "handed_over_at"])


def _converse(
    bot: ChatBot, conversation: BotConversation, ticket: Ticket, message: Message, *, greet: bool
) -> None:
    answers = list(bot.answers.all())
    language = conversation_language(ticket)
    with translation.override(language):
        if greet:
            _say(bot, ticket, introduction(bot, answers, language))
        pressed = str((message.metadata or {}).get("button") or "")
        if pressed and not pressed.startswith("bot:"):
            return  # someone else's button (a survey's): not a question for the bot
        if pressed == HANDOVER:
            _hand_over(bot, conversation, ticket, reason="asked")
            return
        answer = _pressed_answer(answers, pressed) or best_answer(answers, message.text)
        if answer is not None:
            conversation.answers_given += 1
            conversation.save(update_fields=["answers_given"])
            _say(bot, ticket, Speech(_localized(answer, language, "answer"), [_handover_row()]))
            return
        if greet and len(meaningful_terms(message.text)) < 2:
            return  # "Hi!": the introduction asked how to help
        _hand_over(bot, conversation, ticket, reason="not_understood")


def _pressed_answer(answers: list[BotAnswer], pressed: str) -> BotAnswer | None:
    if not pressed.startswith(ANSWER_PREFIX):
        return None
    wanted = pressed.removeprefix(ANSWER_PREFIX)
    return next((a for a in answers if str(a.pk) == wanted), None)


def _say(bot: ChatBot, ticket: Ticket, speech: Speech) -> Message | None:
    return automatic_message_send(
        ticket=ticket,
        text=speech.text,
        origin=Origin.BOT,
        author_name=bot.name or _("Assistant bot"),
        metadata={"buttons": speech.buttons} if speech.buttons else None,
    )


def _hand_over(bot: ChatBot, conversation: BotConversation, ticket: Ticket, *, reason: str) -> None:
    """Pass the conversation to the channel's group and say so honestly."""
    _stand_down(conversation, reason)
    account = ticket.channel_account
    group = (account.group if account is not None else None) or default_group()
    actor = Actor(kind="bot", name=bot.name or "bot")
    if group is not None and ticket.group_id != group.pk:
        ticket = ticket_update(ticket=ticket, actor=actor, group=group)
    promise = answer_promise(ticket.group)
    if reason == "asked":
        lead = _("Of course, I'm passing you to a person.")
    else:
        lead = _("I don't know the answer to that, so I'm passing you to a person.")
    _say(bot, ticket, Speech(f"{lead} {describe_promise(promise)}", []))
    if promise.open_now:
        pickup_watch(ticket)
