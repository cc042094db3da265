"""What someone opening the demo desk sees: a real-looking week of a shop's support."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from unidesk.accounts.models import Agent, Group, Role
from unidesk.channels.models import ChannelAccount, Delivery, DeliveryState
from unidesk.crosschannel.models import LinkKind, TicketLink
from unidesk.customers.models import Customer
from unidesk.demo import loader
from unidesk.tickets.models import (
    UNSOLVED_STATUSES,
    Activity,
    Attachment,
    DeliveryStatus,
    Direction,
    Message,
    Origin,
    Priority,
    Status,
    Ticket,
)
from unidesk.tickets.selectors import parallel_conversations, ticket_timeline

pytestmark = pytest.mark.usefixtures("demo", "db")

GROUP_NAMES = {
    "Общие вопросы / General",
    "Техподдержка / Technical",
    "Оплата / Billing",
    "Возвраты / Refunds",
}
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LATIN_WORD = re.compile(r"\b[a-z]{2,}\b", re.IGNORECASE)


def demo_login() -> Agent:
    return Agent.objects.get(email=loader.DEMO_LOGIN_EMAIL)


def test_a_week_of_conversations_is_loaded(demo: loader.DemoSummary) -> None:
    assert 50 <= demo.tickets <= 70
    assert Ticket.objects.count() == demo.tickets
    assert demo.messages >= demo.tickets * 3


def test_the_four_groups_exist_with_general_as_default() -> None:
    groups = {group.name: group for group in Group.objects.all()}

    assert set(groups) == GROUP_NAMES
    assert [g.name for g in groups.values() if g.is_default] == ["Общие вопросы / General"]
    assert all(g.first_reply_target_minutes > 0 for g in groups.values())
    # Hard questions are allowed to take longer than general ones.
    general = groups["Общие вопросы / General"]
    assert groups["Техподдержка / Technical"].first_reply_target_minutes > (
        general.first_reply_target_minutes
    )


def test_the_demo_login_works_and_is_the_head_of_support() -> None:
    assert Client().login(email=loader.DEMO_LOGIN_EMAIL, password=loader.DEMO_PASSWORD)

    anna = demo_login()
    assert anna.role == Role.ADMIN
    assert set(anna.groups.values_list("name", flat=True)) == GROUP_NAMES


def test_the_team_has_every_role_and_everyone_works_in_a_group() -> None:
    agents = list(Agent.objects.prefetch_related("groups"))

    assert 6 <= len(agents) <= 8
    assert {agent.role for agent in agents} == set(Role.values)
    assert all(agent.groups.all() for agent in agents)
    assert any(agent.language == "en" for agent in agents)
    # Each colleague can be signed in as, to see the desk through their role.
    trainee = next(agent for agent in agents if agent.role == Role.TRAINEE)
    assert Client().login(email=trainee.email, password=loader.DEMO_PASSWORD)


def test_every_agent_took_part_in_the_week() -> None:
    authors = set(
        Message.objects.filter(direction__in=[Direction.OUT, Direction.NOTE], origin=Origin.AGENT)
        .values_list("author_agent__email", flat=True)
        .distinct()
    )

    assert authors == set(Agent.objects.values_list("email", flat=True))


def test_conversations_come_from_every_connected_channel() -> None:
    kinds = set(Ticket.objects.values_list("channel", flat=True))

    assert kinds >= {"api", "email", "webchat", "telegram", "whatsapp", "vk"}
    assert set(ChannelAccount.objects.values_list("kind", flat=True)) == kinds
    assert all(t.channel_account_id for t in Ticket.objects.all())


def test_customers_are_known_by_their_channel_addresses() -> None:
    kinds = {
        (ticket.channel, ticket.requester_identity.kind)
        for ticket in Ticket.objects.select_related("requester_identity")
        if ticket.requester_identity
    }

    assert kinds == {
        ("api", "email"),
        ("email", "email"),
        ("webchat", "webchat"),
        ("telegram", "telegram"),
        ("whatsapp", "whatsapp"),
        ("vk", "vk"),
        ("phone", "phone"),
    }
    phones = Customer.objects.filter(identities__kind="whatsapp").values_list(
        "identities__value", flat=True
    )
    assert all(re.fullmatch(r"\+\d{11}", phone) for phone in phones)


def test_every_status_is_on_the_desk() -> None:
    statuses = set(Ticket.objects.values_list("status", flat=True))

    assert statuses == set(Status.values)
    new = Ticket.objects.filter(status=Status.NEW)
    assert new.filter(assignee=None).count() >= 3
    assert not Message.objects.filter(ticket__in=new, direction=Direction.OUT).exists()


def test_priorities_and_tags_are_used() -> None:
    priorities = set(Ticket.objects.values_list("priority", flat=True))

    assert {Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT} <= priorities
    assert Ticket.objects.filter(tags__name="возврат").exists()
    assert Ticket.objects.exclude(tags=None).count() >= Ticket.objects.count() // 2


def test_customers_write_in_russian_and_in_english() -> None:
    texts = list(Message.objects.filter(direction=Direction.IN).values_list("text", flat=True))

    russian = [t for t in texts if CYRILLIC.search(t)]
    english = [t for t in texts if not CYRILLIC.search(t) and len(LATIN_WORD.findall(t)) >= 3]
    assert len(russian) > len(english) >= 5


def test_agents_leave_internal_notes_and_changes_are_recorded() -> None:
    notes = Message.objects.filter(direction=Direction.NOTE)

    assert notes.count() >= 2
    assert notes.values("author_agent").distinct().count() >= 3
    fields = set(Activity.objects.values_list("field", flat=True))
    assert {"created", "status", "priority", "group", "assignee", "tags"} <= fields


def test_a_customer_writes_on_two_channels_at_once() -> None:
    anna = demo_login()
    parallel = [
        (ticket, others)
        for ticket in Ticket.objects.filter(status__in=UNSOLVED_STATUSES)
        if (others := parallel_conversations(ticket, anna))
    ]

    assert parallel
    # One of them is being answered by two colleagues, each on their channel.
    assert any(
        ticket.assignee and other.agents and other.agents != [ticket.assignee.display_name]
        for ticket, others in parallel
        for other in others
    )


def test_a_public_wall_comment_is_answered_without_personal_data() -> None:
    public = Ticket.objects.get(is_public=True)

    assert public.channel == "vk"
    messages = list(public.messages.exclude(direction=Direction.NOTE))
    assert all(message.is_public for message in messages)
    replies = [m for m in messages if m.direction == Direction.OUT]
    assert replies
    assert not any(re.search(r"\d{4,}", reply.text) for reply in replies)
    # The details moved to a private conversation with the same customer.
    assert Ticket.objects.filter(requester=public.requester, is_public=False).exists()


def test_a_solved_ticket_was_reopened_by_the_customers_reply() -> None:
    reopened = Ticket.objects.get(reopen_count__gte=1)

    change = Activity.objects.get(
        ticket=reopened, field="status", old_value=Status.SOLVED, new_value=Status.OPEN
    )
    assert change.actor_kind == "customer"
    assert reopened.status in UNSOLVED_STATUSES


def test_old_solved_tickets_are_closed_and_recent_ones_still_solved() -> None:
    duplicates = TicketLink.objects.filter(kind=LinkKind.DUPLICATE).values("source")
    closed = Ticket.objects.filter(status=Status.CLOSED).exclude(pk__in=duplicates)

    assert closed.exists()
    assert all(t.solved_at and t.closed_at and t.closed_at > t.solved_at for t in closed)
    assert Ticket.objects.filter(status=Status.SOLVED).exists()


def test_replies_are_history_not_deliveries() -> None:
    replies = Message.objects.filter(direction=Direction.OUT)

    assert replies.count() > 50
    # Only what the desk itself said went through the outbox (the bot, a duplicate's
    # notice), delivered at its moment; agents' replies are history.
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert set(Delivery.objects.values_list("message__origin", flat=True)) == {
        Origin.BOT,
        Origin.SYSTEM,
    }
    assert not replies.filter(delivery_status=DeliveryStatus.QUEUED).exists()
    assert replies.filter(delivery_status=DeliveryStatus.READ, ticket__channel="whatsapp").exists()
    assert all(reply.sent_at for reply in replies)
    answered = Ticket.objects.exclude(first_response_at=None)
    by_agents = replies.filter(origin=Origin.AGENT)
    assert answered.count() == by_agents.values("ticket").distinct().count()


def test_email_replies_are_signed_and_letters_thread_together() -> None:
    letters = Message.objects.filter(direction=Direction.OUT, ticket__channel="email")

    assert all("«Тропа»" in m.text or "Tropa Customer Care" in m.text for m in letters)
    follow_up = Ticket.objects.filter(channel="email", messages__direction=Direction.IN)
    assert any(t.messages.filter(direction=Direction.IN).count() >= 3 for t in follow_up)


def test_customers_send_photos_and_agents_send_invoices(settings: Any, demo_media: Path) -> None:
    settings.MEDIA_ROOT = demo_media
    attachments = list(Attachment.objects.select_related("message"))

    kinds = {(a.message.direction, a.content_type) for a in attachments}
    assert (Direction.IN, "image/png") in kinds
    assert (Direction.OUT, "application/pdf") in kinds
    for attachment in attachments:
        with attachment.file.open("rb") as handle:
            head = handle.read(8)
        assert head.startswith((b"\x89PNG", b"%PDF"))
        assert attachment.size > 0


def test_everything_happened_within_the_last_eight_days() -> None:
    now = timezone.now()
    week_ago = now - timedelta(days=8)
    moments = [
        *Ticket.objects.values_list("created_at", flat=True),
        *Ticket.objects.values_list("updated_at", flat=True),
        *Ticket.objects.exclude(first_response_at=None).values_list("first_response_at", flat=True),
        *Ticket.objects.exclude(solved_at=None).values_list("solved_at", flat=True),
        *Ticket.objects.exclude(closed_at=None).values_list("closed_at", flat=True),
        *Message.objects.values_list("created_at", flat=True),
        *Message.objects.exclude(sent_at=None).values_list("sent_at", flat=True),
        *Activity.objects.values_list("created_at", flat=True),
        *Customer.objects.values_list("created_at", flat=True),
    ]

    assert all(week_ago <= moment <= now for moment in moments)
    # Not all on one afternoon: the week has a rhythm.
    days = {moment.date() for moment in Ticket.objects.values_list("created_at", flat=True)}
    assert len(days) >= 6


def test_each_conversation_reads_in_order() -> None:
    for ticket in Ticket.objects.all():
        messages = list(ticket.messages.order_by("id"))
        times = [m.created_at for m in messages]
        assert times == sorted(times), ticket.reference
        assert messages[0].direction == Direction.IN
        assert messages[0].created_at == ticket.created_at
        assert ticket.updated_at >= times[-1]
        assert all(entry.at >= ticket.created_at for entry in ticket_timeline(ticket))
    numbers = list(Ticket.objects.order_by("created_at").values_list("number", flat=True))
    assert numbers == sorted(numbers)


def test_loading_again_creates_nothing() -> None:
    counts = (
        Agent.objects.count(),
        Group.objects.count(),
        ChannelAccount.objects.count(),
        Customer.objects.count(),
        Ticket.objects.count(),
        Message.objects.count(),
        Activity.objects.count(),
    )

    assert loader.load() is None

    assert counts == (
        Agent.objects.count(),
        Group.objects.count(),
        ChannelAccount.objects.count(),
        Customer.objects.count(),
        Ticket.objects.count(),
        Message.objects.count(),
        Activity.objects.count(),
    )
