"""What a team trying the demo looks at in its first ten minutes is there, on the pages
they open (the head of support's, in her language)."""

from __future__ import annotations

import html
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from unidesk.accounts.models import Agent, Group
from unidesk.automation.models import BotConversation, BotState, ChatBot
from unidesk.channels.models import ChannelAccount
from unidesk.crosschannel.models import LinkKind, MergeSuggestion, SuggestionState, TicketLink
from unidesk.csat.models import Score, Survey
from unidesk.customers.models import Customer
from unidesk.demo import loader
from unidesk.tickets.models import Direction, Origin, Status, Ticket

pytestmark = pytest.mark.usefixtures("demo", "db")


def head_of_support() -> Agent:
    return Agent.objects.get(email=loader.DEMO_LOGIN_EMAIL)


def shown(text: str) -> str:
    """``text`` as the page shows it to the head of support."""
    with translation.override(head_of_support().language):
        return html.escape(gettext(text), quote=True)


def page(path: str) -> str:
    client = Client()
    client.force_login(head_of_support())
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def ticket_page(ticket: Ticket) -> str:
    return page(f"/t/{ticket.number}/")


def test_a_customer_writing_on_two_channels_at_once_is_shown_on_the_ticket() -> None:
    customer = Customer.objects.get(name="Юлия Андреева")
    letter = Ticket.objects.get(requester=customer, channel="email")
    chat = Ticket.objects.get(requester=customer, channel="whatsapp")

    content = ticket_page(chat)

    assert shown("Also writing now in:") in content
    assert f"#{letter.number}" in content


def test_a_number_given_in_a_chat_suggests_a_merge() -> None:
    suggestion = MergeSuggestion.objects.get(customer__name="Наташа")
    assert suggestion.candidate.name == "Наталья Громова"
    assert suggestion.state == SuggestionState.PENDING

    content = ticket_page(Ticket.objects.get(requester=suggestion.customer))

    assert shown("Possibly the same person") in content
    assert "8 912 604-33-18" in content
    assert "Наталья Громова" in content
    assert shown("Review the merge") in content


def test_a_duplicate_is_closed_and_linked_to_where_the_conversation_continues() -> None:
    link = TicketLink.objects.select_related("source", "target").get(kind=LinkKind.DUPLICATE)
    duplicate, original = link.source, link.target
    assert duplicate.status == Status.CLOSED
    assert original.status != Status.CLOSED
    assert duplicate.requester_id == original.requester_id
    assert {duplicate.channel, original.channel} == {"api", "email"}
    # The customer was told where the conversation goes on.
    notice = duplicate.messages.get(origin=Origin.SYSTEM, direction=Direction.OUT)
    assert "по электронной почте" in notice.text

    content = ticket_page(duplicate)

    assert shown("Duplicate of") in content
    assert f"#{original.number}" in content
    assert shown("Its duplicate") in ticket_page(original)


def test_two_customers_with_the_same_problem_have_related_tickets() -> None:
    link = TicketLink.objects.select_related("source", "target").get(kind=LinkKind.RELATED)
    assert link.source.requester_id != link.target.requester_id

    content = ticket_page(link.target)

    assert shown("Linked tickets") in content
    assert shown("Related") in content
    assert f"#{link.source.number}" in content


def test_a_public_wall_comment_is_marked_public() -> None:
    wall = Ticket.objects.get(is_public=True, channel="vk")

    content = ticket_page(wall)

    assert shown("Public") in content


def test_a_missed_call_asks_for_a_call_back_with_the_recording() -> None:
    call = Ticket.objects.get(channel="phone")
    (message,) = call.messages.filter(direction=Direction.IN)
    recording = message.metadata["call"]["recording_url"]
    assert message.metadata["call"]["callback"] is True
    assert recording.startswith("https://")

    content = ticket_page(call)

    assert call.subject in content
    assert f'href="{recording}"' in content


def test_the_chat_bot_greets_answers_and_hands_over_to_a_person() -> None:
    chat = ChannelAccount.objects.get(kind="webchat")
    assert ChatBot.objects.get(channel=chat).enabled
    conversation = BotConversation.objects.select_related("ticket").get()
    assert conversation.state == BotState.HANDED_OVER
    assert conversation.handover_reason == "not_understood"
    assert conversation.answers_given == 1
    ticket = conversation.ticket
    said = list(ticket.messages.filter(origin=Origin.BOT).values_list("text", flat=True))
    assert len(said) == 3  # the greeting, an answer, the handover
    assert "передаю вас человеку" in said[-1]
    # A person took it from there.
    assert ticket.messages.filter(origin=Origin.AGENT, direction=Direction.OUT).exists()

    content = ticket_page(ticket)

    assert shown("Bot") in content
    assert html.escape(said[1], quote=True) in content


def test_each_group_works_its_own_hours_with_public_holidays() -> None:
    groups = list(Group.objects.select_related("business_hours"))
    schedules = {str(group.business_hours.weekly) for group in groups if group.business_hours}

    assert len(schedules) >= 3
    next_new_year = timezone.now().astimezone(ZoneInfo("Europe/Moscow")).year + 1
    for group in groups:
        assert group.business_hours is not None
        assert f"{next_new_year}-01-01" in group.business_hours.holidays


def test_ratings_good_and_bad_with_comments_reach_the_reports() -> None:
    rated = Survey.objects.exclude(rating=None)
    good = rated.filter(score=Score.GREAT).exclude(comment="")
    bad = rated.filter(score=Score.BAD).exclude(comment="")
    assert good.exists()
    assert bad.exists()

    reports = page("/reports/")
    review = page("/ratings/")

    assert shown("with a comment") in reports
    assert html.escape(bad.first().comment, quote=True) in review  # type: ignore[union-attr]


def test_the_last_seven_days_hold_the_whole_week() -> None:
    zone = ZoneInfo("Europe/Moscow")
    since = (timezone.now().astimezone(zone) - timedelta(days=6)).date().isoformat()
    client = Client()
    client.force_login(head_of_support())

    response = client.get("/reports/", {"since": since, "tz": "Europe/Moscow"})

    assert response.status_code == 200
    assert response.context["summary"].tickets_created == Ticket.objects.count()
    assert response.context["summary"].csat.responses > 0


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD])
def test_every_working_status_has_tickets_in_the_inbox(status: str) -> None:
    tickets = Ticket.objects.filter(status=status)
    assert tickets.exists()

    content = page(f"/?view=all&status={status}")

    assert all(f"#{ticket.number}" in content for ticket in tickets[:5])


def test_tickets_carry_tags_and_internal_notes() -> None:
    noted = (
        Ticket.objects.filter(messages__direction=Direction.NOTE).exclude(tags=None).distinct()
    ).first()
    assert noted is not None
    tag = noted.tags.first()
    assert tag is not None

    content = ticket_page(noted)

    assert shown("Internal note") in content
    assert tag.name in content


def test_the_live_chat_can_be_tried_from_the_announced_page() -> None:
    path = loader.demo_chat_path()
    assert path is not None

    content = page(path)

    assert ChannelAccount.objects.get(kind="webchat").key in content


def test_an_old_whatsapp_conversation_offers_the_approved_templates() -> None:
    chat = (
        Ticket.objects.filter(channel="whatsapp", status=Status.PENDING)
        .order_by("updated_at")
        .first()
    )
    assert chat is not None
    assert chat.updated_at < timezone.now() - timedelta(days=1)

    content = ticket_page(chat)

    assert "order_update" in content
