"""Demo data: a week of support at «Тропа», a small online shop of hiking gear.

``load()`` sets up the desk (groups, agents, channels, tags) and replays the conversations
of ``unidesk.demo.conversations`` through the real pipeline: customers' messages go through
``channels.ingest``, agents' replies, notes and changes through the ticket services, each as
of its moment in the past week. Agents' replies are recorded as already sent (and, where the
platform reports it, delivered and read) without the outbox. The few messages the desk itself
sent in the week (the chat bot's, a duplicate's notice) go through the outbox as they happen,
to nobody (see below). The history queues no background work: what the workers
would have done then (merge suggestions) is done here, as of its moment.

The demo's channels, but the web chat, carry the ``demo_delivery`` setting: a reply sent
there is recorded as sent and kept under the demo outbox, never delivered
(``channels.demo_delivery``).

Every demo agent signs in with the demo password, so the desk can be seen through each role.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from unidesk.accounts.models import Agent, BusinessHours, Group
from unidesk.accounts.services import agent_create_or_update, group_get_or_create
from unidesk.automation.bot import bot_handle
from unidesk.automation.models import BotAnswer, ChatBot
from unidesk.channels import demo_delivery, outbox, registry
from unidesk.channels.base import DeliveryUpdate, IdentityRef, InboundAttachment, InboundMessage
from unidesk.channels.ingest import apply_delivery_update, ingest
from unidesk.channels.models import ChannelAccount, Delivery, DeliveryState
from unidesk.channels.phone.adapter import parse_call
from unidesk.channels.services import channel_add
from unidesk.core import clock, crypto, tasks
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict
from unidesk.crosschannel.services import (
    suggest_merges_for_message,
    ticket_close_as_duplicate,
    ticket_link,
)
from unidesk.customers.services import identity_add
from unidesk.demo import satisfaction
from unidesk.demo.conversations import CAST, CONVERSATIONS
from unidesk.demo.desk import (
    AGENTS,
    CHANNELS,
    CHAT_BOT_ANSWERS,
    CHAT_BOT_NAME,
    GROUPS,
    HOURS,
    PUBLIC_HOLIDAYS,
    REACHABLE_IN_DEMO,
    SHOP_TIME_ZONE,
    TAGS,
    ChannelSpec,
    GroupSpec,
)
from unidesk.demo.files import FILES
from unidesk.demo.script import (
    Ago,
    Call,
    Change,
    CloseDuplicate,
    Conversation,
    Day,
    Link,
    Note,
    Person,
    Relate,
    Reply,
    Say,
    Step,
)
from unidesk.tickets.models import DeliveryStatus, Message, Priority, Status, Tag, Ticket
from unidesk.tickets.services import (
    NewAttachment,
    message_add_outbound,
    message_set_delivery,
    note_add,
    ticket_update,
)

DEMO_LOGIN_EMAIL = "anna@demo.unidesk.local"
DEMO_PASSWORD = "demo"  # noqa: S105 (the published demo login)

# The same seed gives the same desk (relative to the moment it is loaded).
SEED = 4812
# Solved tickets are closed this long after solving, as a desk's auto-close rule would.
CLOSE_AFTER = timedelta(days=3)

# Which identity kind a channel knows its customers by (the site's form asks for an email).
IDENTITY_OF_CHANNEL = {
    "api": "email",
    "email": "email",
    "webchat": "webchat",
    "telegram": "telegram",
    "whatsapp": "whatsapp",
    "vk": "vk",
    "phone": "phone",
}
# Platforms that report delivery and reading of our messages (Telegram bots get neither).
READ_RECEIPTS = frozenset({"whatsapp", "vk", "webchat"})
# Replies through these channels arrive as letters and carry the agent's signature.
SIGNED = frozenset({"email", "api"})
TEAM_SIGNATURE = {"ru": "Служба поддержки «Тропа»", "en": "Tropa Customer Care"}
SHOP_DOMAIN = "tropa.example"
VK_COMMUNITY_ID = 218005417
SHOP_PHONE = "+74951204560"
# From this hour on, today's shift has run long enough for today's stories to fit in it.
SHIFT_OVERLAP_FROM = 14


@dataclass(frozen=True)
class DemoSummary:
    tickets: int
    messages: int
    seconds: float


def demo_agent_exists() -> bool:
    return Agent.objects.filter(email=DEMO_LOGIN_EMAIL).exists()


def demo_chat_path() -> str | None:
    """The page where the demo's live chat (and its bot) can be tried, if it is there."""
    spec = next(spec for spec in CHANNELS if spec.kind == "webchat")
    account = ChannelAccount.objects.filter(kind=spec.kind, name=spec.name, is_active=True).first()
    return reverse("webchat:try", kwargs={"key": account.key}) if account else None


def load(*, require_empty: bool = False) -> DemoSummary | None:
    """Load the demo desk; does nothing (returns None) when the demo agent already exists,
    so loading twice changes nothing.

    With ``require_empty`` a desk that already has other agents is refused (``Conflict``):
    the demo is meant for a new desk, and adding it to a working one should be a
    decision."""
    if demo_agent_exists():
        return None
    if require_empty and Agent.objects.exists():
        raise Conflict(
            "This desk already has agents; the demo is meant for an empty desk.",
            code="desk_not_empty",
        )
    started = time.monotonic()
    with transaction.atomic(), tasks.history():
        now = clock.now()
        desk = _set_up_desk(now)
        replay = _Replay(desk=desk, now=now, rng=random.Random(SEED))
        replay.run(CONVERSATIONS)
        satisfaction.load(ticket_ids=replay.ticket_ids, now=replay.now)
    tickets = Ticket.objects.filter(pk__in=replay.ticket_ids)
    return DemoSummary(
        tickets=tickets.count(),
        messages=Message.objects.filter(ticket__in=tickets).count(),
        seconds=time.monotonic() - started,
    )


# --- the desk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Desk:
    groups: dict[str, Group]
    agents: dict[str, Agent]
    channels: dict[str, ChannelAccount]


def _set_up_desk(now: datetime) -> _Desk:
    groups = {spec.key: _group(spec, now) for spec in GROUPS}
    agents: dict[str, Agent] = {}
    new_agents: list[int] = []
    for spec in AGENTS:
        existed = Agent.objects.filter(email=spec.email).exists()
        agents[spec.key] = agent_create_or_update(
            email=spec.email,
            password=DEMO_PASSWORD if spec.email == DEMO_LOGIN_EMAIL else None,
            role=spec.role,
            name=spec.name,
            group_names=[groups[key].name for key in spec.groups],
            language=spec.language,
        )
        if not existed and spec.email != DEMO_LOGIN_EMAIL:
            new_agents.append(agents[spec.key].pk)
    # The colleagues share the demo login's password hash: hashing once keeps the load fast.
    login = next(agent for agent in agents.values() if agent.email == DEMO_LOGIN_EMAIL)
    Agent.objects.filter(pk__in=new_agents).update(password=login.password)
    channels = {spec.key: _channel(spec, groups) for spec in CHANNELS}
    _chat_bot(channels["chat"])
    for name, colour in TAGS.items():
        Tag.objects.get_or_create(name=name, defaults={"color": colour})
    return _Desk(groups=groups, agents=agents, channels=channels)


def _group(spec: GroupSpec, now: datetime) -> Group:
    existing = Group.objects.filter(name=spec.name).first()
    if existing is not None:
        # A desk that already has this group keeps its own settings.
        return existing
    has_default = Group.objects.filter(is_default=True).exists()
    group = group_get_or_create(name=spec.name)
    group.description = spec.description
    group.first_reply_target_minutes = spec.first_reply_target_minutes
    group.is_default = spec.is_default and not has_default
    group.business_hours = _hours(spec.hours, now)
    group.save(
        update_fields=["description", "first_reply_target_minutes", "is_default", "business_hours"]
    )
    return group


def _hours(key: str, now: datetime) -> BusinessHours:
    spec = HOURS[key]
    year = now.astimezone(ZoneInfo(SHOP_TIME_ZONE)).year
    holidays = [
        f"{y:04d}-{month:02d}-{day:02d}" for y in (year, year + 1) for month, day in PUBLIC_HOLIDAYS
    ]
    hours, _created = BusinessHours.objects.get_or_create(
        name=spec.name,
        defaults={"time_zone": SHOP_TIME_ZONE, "weekly": spec.weekly, "holidays": holidays},
    )
    return hours


def _channel(spec: ChannelSpec, groups: dict[str, Group]) -> ChannelAccount:
    group = groups[spec.group] if spec.group else None
    settings = {**registry.adapter_class(spec.kind).default_settings, **dict(spec.settings)}
    if spec.kind not in REACHABLE_IN_DEMO:
        # Set here, never through channel_add (which refuses it): only the demo's own
        # channels record their replies instead of sending them.
        settings[demo_delivery.SETTING] = demo_delivery.ON
    if spec.kind == "api":
        account = channel_add(kind=spec.kind, name=spec.name, group=group).account
        account.settings = {**account.settings, **settings}
        account.save(update_fields=["settings"])
        return account
    # The demo's platforms are not set up (no bot tokens, no SMTP), which channel_add
    # would not refuse but the demo does not need: the inbox row is what tickets point at.
    account = ChannelAccount(
        kind=spec.kind,
        name=spec.name,
        key=crypto.random_token(nbytes=12).replace("-", "x").replace("_", "y"),
        group=group,
        settings=settings,
    )
    account.set_secrets({"secret": crypto.random_token(nbytes=24)})
    account.save()
    return account


def _chat_bot(account: ChannelAccount) -> None:
    bot = ChatBot.objects.create(channel=account, enabled=True, name=CHAT_BOT_NAME)
    BotAnswer.objects.bulk_create(
        BotAnswer(
            bot=bot,
            question_ru=spec.question_ru,
            question_en=spec.question_en,
            keywords=spec.keywords,
            answer_ru=spec.answer_ru,
            answer_en=spec.answer_en,
            position=position,
        )
        for position, spec in enumerate(CHAT_BOT_ANSWERS)
    )


# --- the week ---------------------------------------------------------------------------------


@dataclass
class _Thread:
    """One conversation as it is being replayed."""

    index: int
    conversation: Conversation
    person: Person
    account: ChannelAccount
    identity: IdentityRef
    thread_key: str
    counter: int
    ticket_id: int | None = None
    # Platform ids of the messages so far; a follow-up letter references them.
    message_ids: list[str] = field(default_factory=list)
    # Our replies the customer has not read yet (on platforms that tell).
    unread: list[str] = field(default_factory=list)
    # The customer's latest message in the desk.
    last_message_id: int = 0

    @property
    def kind(self) -> str:
        return self.account.kind

    @property
    def ticket_pk(self) -> int:
        if self.ticket_id is None:
            raise RuntimeError(f"demo conversation {self.index} does not start with Say")
        return self.ticket_id


class _Replay:
    def __init__(self, *, desk: _Desk, now: datetime, rng: random.Random) -> None:
        self.desk = desk
        self.now = now
        self.rng = rng
        self.zone = ZoneInfo(SHOP_TIME_ZONE)
        self.ticket_ids: list[int] = []
        self.threads: dict[str, _Thread] = {}

    def run(self, conversations: tuple[Conversation, ...]) -> None:
        """Replay every step of every conversation in the order they happened, so ticket
        numbers follow arrival and one conversation can build on another (an address added
        to a customer's card in one is recognised in the next)."""
        timeline: list[tuple[datetime, int, int, _Thread, Step]] = []
        for index, conversation in enumerate(conversations):
            thread = self._thread(index, conversation)
            if conversation.key:
                self.threads[conversation.key] = thread
            moments = self._schedule(conversation)
            for position, (moment, step) in enumerate(
                zip(moments, conversation.steps, strict=True)
            ):
                timeline.append((moment, index, position, thread, step))
        timeline.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
        for moment, _, _, thread, step in timeline:
            with clock.as_of(moment):
                self._perform(thread, step, moment)
        self._close_solved()

    # --- when ---------------------------------------------------------------------------

    def _schedule(self, conversation: Conversation) -> list[datetime]:
        moment = self._start(conversation.start) + timedelta(seconds=self.rng.randint(0, 59))
        moments = [moment]
        for step in conversation.steps[1:]:
            # People are not clockwork: each gap varies by a tenth either way.
            seconds = step.after * 60 * self.rng.uniform(0.9, 1.1) + self.rng.randint(5, 40)
            moment += timedelta(seconds=seconds)
            moments.append(moment)
        latest = self.now - timedelta(minutes=1)
        if moments[-1] > latest:
            # A story from yesterday that would run on past this moment of today happens a
            # little earlier instead: nothing in the demo lies in the future.
            shift = moments[-1] - latest
            moments = [m - shift for m in moments]
        return moments

    def _start(self, start: Day | Ago) -> datetime:
        if isinstance(start, Ago):
            return self._recent_anchor() - timedelta(minutes=start.minutes)
        day = self.now.astimezone(self.zone).date() - timedelta(days=start.days_ago)
        hour, minute = (int(part) for part in start.at.split(":"))
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)

    def _recent_anchor(self) -> datetime:
        """What today's arrivals are counted back from: now, in the afternoon and evening;
        earlier in the day the end of yesterday's shift, so that the agents' part of those
        stories still happens in working hours."""
        local = self.now.astimezone(self.zone)
        if local.hour >= SHIFT_OVERLAP_FROM:
            return self.now
        yesterday = local.date() - timedelta(days=1)
        return datetime(yesterday.year, yesterday.month, yesterday.day, 21, 30, tzinfo=self.zone)

    # --- who and where ------------------------------------------------------------------

    def _thread(self, index: int, conversation: Conversation) -> _Thread:
        person = CAST[conversation.customer]
        account = self.desk.channels[conversation.channel]
        identity_kind = IDENTITY_OF_CHANNEL[account.kind]
        address = _address(person, identity_kind)
        return _Thread(
            index=index,
            conversation=conversation,
            person=person,
            account=account,
            identity=IdentityRef(identity_kind, address),
            thread_key=self._thread_key(account.kind, address, conversation.public),
            counter=self.rng.randint(120, 4000),
        )

    def _thread_key(self, kind: str, address: str, public: bool) -> str:
        if kind == "email":
            return ""  # letters thread by their references
        if kind == "api":
            return f"site-form-{self.rng.randint(100_000, 999_999)}"
        if public:
            post = self.rng.randint(1500, 2500)
            return f"wall-{VK_COMMUNITY_ID}_{post}/{self.rng.randint(10_000, 99_999)}"
        if kind == "whatsapp":
            return re.sub(r"\D", "", address)
        if kind == "phone":
            return "+" + re.sub(r"\D", "", address)  # calls thread by the caller's number
        return address  # the chat, dialogue or visitor id

    def _platform_id(self, thread: _Thread, *, ours: bool) -> str:
        """An id the platform would give the message."""
        thread.counter += 1
        token = f"{self.rng.getrandbits(64):016x}"
        if thread.kind == "email":
            domain = SHOP_DOMAIN if ours else thread.person.email.rpartition("@")[2]
            # As the mailbox stores Message-IDs: without the angle brackets.
            return f"{token}.{thread.counter}@{domain}"
        if thread.kind == "api":
            return f"site-msg-{thread.counter}-{token[:6]}"
        if thread.kind == "whatsapp":
            return f"wamid.HBgL{token.upper()}{thread.counter:04d}"
        if thread.kind == "webchat":
            return f"wc-{token}"
        return f"{thread.thread_key}:{thread.counter}"

    # --- what happens -------------------------------------------------------------------

    def _perform(self, thread: _Thread, step: Step, moment: datetime) -> None:
        match step:
            case Say():
                self._say(thread, step, moment)
            case Reply():
                self._reply(thread, step, moment)
            case Note():
                note_add(
                    ticket=self._ticket(thread), author=self._agent(step.agent), text=step.text
                )
            case Change():
                self._change(thread, step)
            case Link():
                self._link(thread, step)
            case Call():
                self._call(thread, step, moment)
            case Relate():
                ticket_link(
                    ticket=self._ticket(thread),
                    other=self._ticket(self.threads[step.other]),
                    agent=self._agent(step.agent),
                )
            case CloseDuplicate():
                ticket_close_as_duplicate(
                    ticket=self._ticket(self.threads[step.duplicate]),
                    original=self._ticket(thread),
                    agent=self._agent(step.agent),
                )
                self._deliver_queued(self.threads[step.duplicate])

    def _say(self, thread: _Thread, step: Say, moment: datetime) -> None:
        conversation = thread.conversation
        first = thread.ticket_id is None
        subject = conversation.subject
        if not first:
            subject = f"Re: {subject}" if subject and thread.kind == "email" else ""
        self._mark_read(thread, moment)
        inbound = InboundMessage(
            external_id=self._platform_id(thread, ours=False),
            identity=thread.identity,
            text=step.text,
            name=thread.person.name,
            subject=subject,
            thread_key=thread.thread_key,
            references=tuple(thread.message_ids) if thread.kind == "email" else (),
            sent_at=moment - timedelta(seconds=self.rng.randint(1, 20)),
            attachments=tuple(_inbound_file(name) for name in step.files),
            is_public=conversation.public,
            metadata=self._page_of(thread),
        )
        self._receive(thread, inbound, first=first)
        if conversation.bot:
            # The bot answers within seconds, through the outbox like any message of ours.
            with clock.as_of(moment + timedelta(seconds=self.rng.randint(2, 5))):
                bot_handle(thread.last_message_id)
                self._deliver_queued(thread)

    def _page_of(self, thread: _Thread) -> dict[str, Any]:
        """What the chat widget tells about the page it runs on (the bot speaks its
        language)."""
        if thread.kind != "webchat":
            return {}
        language = thread.conversation.language
        return {"webchat": {"language": language, "page": f"https://{SHOP_DOMAIN}/{language}/"}}

    def _receive(self, thread: _Thread, inbound: InboundMessage, *, first: bool) -> None:
        result = ingest(thread.account, inbound)
        if first and not result.created_ticket:
            raise RuntimeError(f"demo conversation {thread.index} continued another ticket")
        if not first and result.ticket.pk != thread.ticket_id:
            raise RuntimeError(f"demo conversation {thread.index} lost its ticket")
        if first:
            self.ticket_ids.append(result.ticket.pk)
        thread.ticket_id = result.ticket.pk
        thread.message_ids.append(inbound.external_id)
        thread.last_message_id = result.message.pk
        # What a worker does after each message arrives: a phone number or an address that
        # belongs to another customer suggests merging the two.
        suggest_merges_for_message(message_id=result.message.pk)

    def _call(self, thread: _Thread, step: Call, moment: datetime) -> None:
        """A call as the phone system reports it, read by the phone channel's own parser."""
        thread.counter += 1
        event = {
            "call_id": f"{self.rng.getrandbits(48):012x}",
            "direction": "inbound",
            "status": step.status,
            "caller": thread.person.phone,
            "callee": SHOP_PHONE,
            "caller_name": thread.person.name,
            "agent": self._agent(step.agent).display_name if step.agent else "",
            "started_at": moment.isoformat(),
            "ended_at": (moment + timedelta(seconds=step.seconds)).isoformat(),
            "recording_url": step.recording,
        }
        with translation.override(thread.conversation.language):
            inbound = parse_call(event)
        self._receive(thread, inbound, first=thread.ticket_id is None)

    def _deliver_queued(self, thread: _Thread) -> None:
        """Deliver now what the desk itself just sent in this conversation (the outbox
        queued it; the history queues no task for a worker to do it later)."""
        queued = Delivery.objects.filter(
            message__ticket_id=thread.ticket_pk, state=DeliveryState.QUEUED
        ).values_list("pk", flat=True)
        for delivery_id in list(queued):
            outbox.deliver_now(delivery_id)

    def _mark_read(self, thread: _Thread, moment: datetime) -> None:
        """Before writing again, the customer has read our replies."""
        with clock.as_of(moment - timedelta(seconds=self.rng.randint(20, 90))):
            for external_id in thread.unread:
                apply_delivery_update(
                    thread.account, DeliveryUpdate(external_id=external_id, status="read")
                )
        thread.unread.clear()

    def _reply(self, thread: _Thread, step: Reply, moment: datetime) -> None:
        agent = self._agent(step.agent)
        actor = Actor.for_agent(agent)
        text = step.text
        if thread.kind in SIGNED:
            team = TEAM_SIGNATURE[thread.conversation.language]
            text = f"{text}\n\n—\n{agent.display_name}\n{team}\n{SHOP_DOMAIN}"
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=thread.ticket_pk)
            message = message_add_outbound(
                ticket=ticket,
                actor=actor,
                text=text,
                author=agent,
                attachments=[_outbound_file(name) for name in step.files],
            )
            if step.status:
                ticket_update(ticket=ticket, actor=actor, status=step.status)
        # The API channel's callback acknowledges a reply without an id of its own.
        external_id = "" if thread.kind == "api" else self._platform_id(thread, ours=True)
        with clock.as_of(moment + timedelta(seconds=self.rng.randint(1, 4))):
            message_set_delivery(
                message=message, status=DeliveryStatus.SENT, external_id=external_id or None
            )
        if not external_id:
            return
        thread.message_ids.append(external_id)
        if thread.kind in READ_RECEIPTS:
            with clock.as_of(moment + timedelta(seconds=self.rng.randint(5, 40))):
                apply_delivery_update(
                    thread.account, DeliveryUpdate(external_id=external_id, status="delivered")
                )
            thread.unread.append(external_id)

    def _change(self, thread: _Thread, step: Change) -> None:
        ticket = self._ticket(thread)
        changes: dict[str, Any] = {}
        if step.status:
            changes["status"] = step.status
        if step.priority:
            changes["priority"] = Priority.from_name(step.priority)
        if step.group:
            changes["group"] = self.desk.groups[step.group]
        if step.assign:
            changes["assignee"] = self._agent(step.assign)
        if step.tags:
            current = list(ticket.tags.values_list("name", flat=True))
            changes["tags"] = [*current, *(tag for tag in step.tags if tag not in current)]
        ticket_update(ticket=ticket, actor=Actor.for_agent(self._agent(step.agent)), **changes)

    def _link(self, thread: _Thread, step: Link) -> None:
        ticket = Ticket.objects.select_related("requester").get(pk=thread.ticket_pk)
        try:
            identity_add(
                customer=ticket.requester,
                kind=step.kind,
                value=_address(thread.person, step.kind),
            )
        except Conflict:
            # A desk loaded with --force may already know this address as someone else's.
            return

    def _close_solved(self) -> None:
        rule = Actor(kind="automation", name="Автозакрытие через 3 дня после решения")
        solved = Ticket.objects.filter(
            pk__in=self.ticket_ids, status=Status.SOLVED, solved_at__lte=self.now - CLOSE_AFTER
        )
        for ticket in solved:
            if ticket.solved_at is None:
                continue
            with clock.as_of(ticket.solved_at + CLOSE_AFTER):
                ticket_update(ticket=ticket, actor=rule, status=Status.CLOSED)

    def _ticket(self, thread: _Thread) -> Ticket:
        return Ticket.objects.get(pk=thread.ticket_pk)

    def _agent(self, key: str) -> Agent:
        return self.desk.agents[key]


def _address(person: Person, identity_kind: str) -> str:
    addresses = {
        "email": person.email,
        "whatsapp": person.phone,
        "phone": person.phone,
        "telegram": person.telegram,
        "vk": person.vk,
        "webchat": person.webchat,
    }
    address = addresses.get(identity_kind, "")
    if not address:
        raise ValueError(f"the demo customer {person.name!r} has no {identity_kind} address")
    return address


def _inbound_file(name: str) -> InboundAttachment:
    demo_file = FILES[name]
    data = demo_file.make()
    return InboundAttachment(
        filename=name, content_type=demo_file.content_type, data=data, size=len(data)
    )


def _outbound_file(name: str) -> NewAttachment:
    demo_file = FILES[name]
    return NewAttachment(filename=name, data=demo_file.make(), content_type=demo_file.content_type)
