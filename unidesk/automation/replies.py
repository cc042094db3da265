"""Honest automatic replies: outside business hours a new conversation on any channel is
told when a person will answer; in the live chat, during business hours, a visitor nobody
has taken within the channel's pickup time is told so and offered to leave an email.

Both go out through ``automatic_message_send`` (the outbox, never counted as an agent's
answer), at most once per ticket, in the customer's language, with the editable texts of
the group's ``AutoReplyPolicy``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from unidesk.accounts.availability import answer_promise, describe_promise
from unidesk.accounts.models import Group
from unidesk.accounts.selectors import calendar_for
from unidesk.automation.models import (
    AutoReplyPolicy,
    AutoReplySent,
    BotConversation,
    BotState,
    ChatBot,
)
from unidesk.channels import registry
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import automatic_message_send
from unidesk.channels.webchat import config as webchat_config
from unidesk.core import clock, tasks
from unidesk.core.calendar import BusinessCalendar
from unidesk.core.errors import NotFound
from unidesk.tickets.models import UNSOLVED_STATUSES, Direction, Message, Origin, Ticket

logger = logging.getLogger("unidesk.automation")

OUT_OF_HOURS = "out_of_hours"
PICKUP = "pickup"


def conversation_language(ticket: Ticket) -> str:
    """The language to speak to the customer: what their chat page uses, else what we
    know of the customer, else the desk's."""
    first = (
        Message.objects.filter(ticket=ticket, direction=Direction.IN)
        .order_by("id")
        .values_list("metadata", flat=True)
        .first()
    )
    spoken = ""
    if isinstance(first, dict):
        webchat = first.get("webchat")
        spoken = (webchat.get("language") if isinstance(webchat, dict) else "") or str(
            first.get("language", "")
        )
    spoken = spoken or ticket.requester.language or settings.LANGUAGE_CODE
    return "ru" if str(spoken).lower().startswith("ru") else "en"


def policy_for(group: Group | None) -> AutoReplyPolicy:
    """The group's policy, else the desk-wide one, else the built-in defaults."""
    wanted = Q(group__isnull=True) | (Q(group=group) if group is not None else Q())
    by_group = {p.group_id: p for p in AutoReplyPolicy.objects.filter(wanted)}
    own = by_group.get(group.pk) if group is not None else None
    return own or by_group.get(None) or AutoReplyPolicy(group=None)


def _fill(template: str, *, promise: str, ticket: Ticket) -> str:
    return template.replace("{promise}", promise).replace("{ticket}", ticket.reference).strip()


def _send_once(ticket: Ticket, kind: str, **message: object) -> Message | None:
    """Send an automatic message of ``kind`` unless one was already sent on this ticket
    (the worker may run a task twice; the customer hears it once)."""
    try:
        with transaction.atomic():
            record = AutoReplySent.objects.create(ticket=ticket, kind=kind, sent_at=clock.now())
            sent = automatic_message_send(ticket=ticket, **message)  # type: ignore[arg-type]
            if sent is None:
                raise _NotSent
            record.message = sent
            record.save(update_fields=["message"])
    except (IntegrityError, _NotSent):
        return None
    return sent


class _NotSent(Exception):
    """The channel cannot take the message now (closed ticket, WhatsApp window)."""


# Which channels have a bot switched on, remembered for a few seconds: every customer
# message asks, and almost always the answer is "none".
BOT_CHANNELS_TTL = 5.0
_bot_channels: tuple[float, frozenset[int]] = (0.0, frozenset())
_bot_channels_lock = threading.Lock()


def bot_channels() -> frozenset[int]:
    global _bot_channels  # noqa: PLW0603 (a per-process memo)
    with _bot_channels_lock:
        expires, channels = _bot_channels
        if expires > time.monotonic():
            return channels
    fresh = frozenset(ChatBot.objects.filter(enabled=True).values_list("channel_id", flat=True))
    with _bot_channels_lock:
        _bot_channels = (time.monotonic() + BOT_CHANNELS_TTL, fresh)
    return fresh


def forget_bot_channels() -> None:
    """A bot was switched on or off here: see it at once in this process."""
    global _bot_channels  # noqa: PLW0603
    with _bot_channels_lock:
        _bot_channels = (0.0, frozenset())


def _bot_answers(ticket: Ticket) -> bool:
    return ChatBot.objects.filter(channel_id=ticket.channel_account_id, enabled=True).exists()


def _acknowledges_itself(ticket: Ticket) -> bool:
    return _kind_acknowledges(ticket.channel)


def _kind_acknowledges(kind: str) -> bool:
    try:
        return registry.adapter_class(kind).acknowledges_new_tickets
    except NotFound:
        return False


@dataclass(frozen=True)
class _Setup:
    """What decides whether a new conversation of one inbox and group may need an automatic
    word, apart from the moment it starts."""

    pickup_minutes: int
    acknowledges_itself: bool
    calendar: BusinessCalendar


# Remembered per (inbox, group) for a few seconds, like the bot channels: every new
# conversation asks. Saving an inbox, a group or business hours forgets it in this process.
SETUP_TTL = 5.0
_setups: dict[tuple[int, int | None], tuple[float, _Setup]] = {}
_setups_lock = threading.Lock()


def _setup(channel_account_id: int, group_id: int | None) -> _Setup | None:
    key = (channel_account_id, group_id)
    with _setups_lock:
        expires, known = _setups.get(key, (0.0, None))
        if known is not None and expires > time.monotonic():
            return known
    account = ChannelAccount.objects.filter(pk=channel_account_id).first()
    if account is None:
        return None
    group = (
        Group.objects.select_related("business_hours").filter(pk=group_id).first()
        if group_id is not None
        else None
    )
    setup = _Setup(
        pickup_minutes=_pickup_minutes_of(account),
        acknowledges_itself=_kind_acknowledges(account.kind),
        calendar=calendar_for(group),
    )
    with _setups_lock:
        _setups[key] = (time.monotonic() + SETUP_TTL, setup)
    return setup


def forget_setups() -> None:
    """An inbox, a group or business hours changed here: see it at once in this process."""
    with _setups_lock:
        _setups.clear()


def may_speak_in(
    *, channel_account_id: int | None, group_id: int | None, is_public: bool, at: datetime
) -> bool:
    """Whether a conversation just opened may need any automatic word from the desk (its
    bot, the pickup notice, an out-of-hours reply), judged cheaply from what its creation
    says: asked for every new conversation, so it reads no ticket."""
    if channel_account_id is None or is_public:
        return False
    if channel_account_id in bot_channels():
        return True
    setup = _setup(channel_account_id, group_id)
    if setup is None:
        return False
    if setup.pickup_minutes > 0:
        return True
    if setup.acknowledges_itself:
        return False
    return not setup.calendar.is_open(at)


def out_of_hours_reply(ticket: Ticket) -> Message | None:
    """Tell the customer of a conversation that started outside business hours when a
    person will answer. Skips channels that acknowledge new conversations themselves,
    public threads (the reply would be public), and channels whose bot greets instead."""
    if ticket.channel_account_id is None or ticket.is_public or _acknowledges_itself(ticket):
        return None
    if _bot_answers(ticket):
        return None
    policy = policy_for(ticket.group)
    if not policy.out_of_hours:
        return None
    promise = answer_promise(ticket.group, at=ticket.created_at)
    if promise.open_now:
        return None
    language = conversation_language(ticket)
    with translation.override(language):
        own = policy.out_of_hours_ru if language == "ru" else policy.out_of_hours_en
        template = own or _(
            "Thank you for your message, it has reached us. {promise} The answer will "
            "come here, in this conversation."
        )
        text = _fill(template, promise=describe_promise(promise), ticket=ticket)
    return _send_once(
        ticket, OUT_OF_HOURS, text=text, origin=Origin.AUTO_REPLY, author_name=_sender(ticket)
    )


def _sender(ticket: Ticket) -> str:
    account = ticket.channel_account
    return account.name if account is not None else ""


# --- the live chat: nobody has taken it yet ---------------------------------------------------


def pickup_minutes(ticket: Ticket) -> int:
    """How long a new chat may wait for an agent (0: never say anything)."""
    account = ticket.channel_account
    return 0 if account is None else _pickup_minutes_of(account)


def _pickup_minutes_of(account: ChannelAccount) -> int:
    if account.kind != "webchat":
        return 0
    return webchat_config.parse(account.key, account.settings).pickup_minutes


def pickup_watch(ticket: Ticket) -> None:
    """Check back on a new chat after the channel's pickup time."""
    minutes = pickup_minutes(ticket)
    if minutes <= 0:
        return
    tasks.enqueue(pickup_check, ticket.pk, run_after=clock.now() + timedelta(minutes=minutes))


@task()
def pickup_check(ticket_id: int) -> None:
    ticket = (
        Ticket.objects.select_related("group", "channel_account", "requester")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is not None:
        pickup_notice(ticket)


def pickup_notice(ticket: Ticket) -> Message | None:
    """If nobody has taken the chat (no agent reply, nobody assigned) and the team is at
    work, say so honestly and offer to leave an email for the answer."""
    if ticket.status not in UNSOLVED_STATUSES or ticket.first_response_at is not None:
        return None
    if ticket.assignee_id is not None:
        return None
    if not answer_promise(ticket.group).open_now:
        return None  # out of hours the customer was told when we answer
    if BotConversation.objects.filter(ticket=ticket, state=BotState.ACTIVE).exists():
        return None  # the bot is still talking; the wait starts at its handover
    policy = policy_for(ticket.group)
    language = conversation_language(ticket)
    with translation.override(language):
        own = policy.pickup_ru if language == "ru" else policy.pickup_en
        template = own or _(
            "Sorry for the wait: everyone on our team is busy with other customers right "
            "now. Stay here and we will answer as soon as someone is free, or leave your "
            "email and we will answer there. {promise}"
        )
        text = _fill(template, promise=describe_promise(answer_promise(ticket.group)),
                     ticket=ticket)  # fmt: skip
    return _send_once(
        ticket,
        PICKUP,
        text=text,
        origin=Origin.AUTO_REPLY,
        author_name=_sender(ticket),
        metadata={"ask_email": True},
    )
