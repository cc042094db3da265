"""When each kind of channel asks, with a frozen clock: chats at once, email after a delay
capped by the next working day, phone through a messenger; one survey per solve, a
cool-down after reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.reports.conftest import msk
from unidesk.accounts.selectors import calendar_for
from unidesk.csat import links
from unidesk.csat.models import Survey, SurveyState
from unidesk.csat.routes import end_of_next_working_day
from unidesk.csat.services import surveys_send_due, surveys_sweep
from unidesk.tickets.models import Message, Origin, Status

pytestmark = pytest.mark.django_db


def survey_messages(ticket) -> list[Message]:
    return list(
        Message.objects.filter(ticket=ticket, origin=Origin.SYSTEM, metadata__csat__isnull=False)
    )


# --- chats and messengers --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["telegram", "whatsapp", "vk", "webchat", "facebook"])
def test_a_chat_is_asked_in_the_conversation_right_after_the_solve(
    kind, line, support, support_agent
) -> None:
    chat = line(kind, support)
    chat.customer_writes(msk(2024, 6, 10, 10, 0), text="Где мой заказ?")
    chat.agent_replies(msk(2024, 6, 10, 10, 5), support_agent, status=Status.SOLVED)

    survey = Survey.objects.get()
    assert survey.state == SurveyState.SENT
    assert survey.sent_at == msk(2024, 6, 10, 10, 5)
    assert survey.expires_at == msk(2024, 6, 24, 10, 5)
    assert (survey.agent_id, survey.group_id, survey.language) == (
        support_agent.pk,
        support.pk,
        "ru",
    )
    (message,) = survey_messages(chat.ticket)
    assert message.delivery_status == "queued"
    (row,) = message.metadata["buttons"]
    assert [button["data"] for button in row] == [
        links.button_data(survey.pk, survey.nonce, rating) for rating in (1, 2, 3)
    ]
    assert all(button["data"].startswith("csat:") for button in row)
    assert len(row[0]["data"].encode()) <= 64  # Telegram's limit for callback data
    assert links.link_url(survey.pk, survey.nonce) in message.text
    # Asking is not an answer by an agent, and the ticket stays solved.
    chat.ticket.refresh_from_db()
    assert (chat.ticket.status, chat.ticket.agent_reply_count) == (Status.SOLVED, 1)


def test_a_five_point_scale_has_five_buttons_and_says_what_they_mean(
    line, support, support_agent
) -> None:
    chat = line("telegram", support, scale=5)
    chat.customer_writes(msk(2024, 6, 10, 10, 0), text="Hello, where is my parcel?")
    chat.agent_replies(msk(2024, 6, 10, 10, 5), support_agent, status=Status.SOLVED)

    (message,) = survey_messages(chat.ticket)
    assert [b["text"] for b in message.metadata["buttons"][0]] == [
        "1 ★",
        "2 ★",
        "3 ★",
        "4 ★",
        "5 ★",
    ]
    assert "1 is very bad, 5 is excellent." in message.text
    assert "support, not about the product" in message.text


def test_a_custom_question_is_used(line, support, support_agent) -> None:
    chat = line("telegram", support, question_en="How did Anna's team do today?")
    chat.customer_writes(msk(2024, 6, 10, 10, 0), text="Hi there")
    chat.set(msk(2024, 6, 10, 10, 5), support_agent, status=Status.SOLVED)

    (message,) = survey_messages(chat.ticket)
    assert message.text.startswith("How did Anna's team do today?")


def test_channels_with_surveys_off_do_not_ask(line, support, support_agent) -> None:
    chat = line("telegram", support, enabled=False)
    chat.customer_writes(msk(2024, 6, 10, 10, 0))
    chat.agent_replies(msk(2024, 6, 10, 10, 5), support_agent, status=Status.SOLVED)

    assert not Survey.objects.exists()


def test_public_threads_are_never_asked(line, support, support_agent) -> None:
    wall = line("vk", support)
    wall.customer_writes(msk(2024, 6, 10, 10, 0), is_public=True)
    wall.agent_replies(msk(2024, 6, 10, 10, 5), support_agent, status=Status.SOLVED)

    survey = Survey.objects.get()
    assert survey.state == SurveyState.CANCELLED
    assert survey_messages(wall.ticket) == []


def test_the_rating_is_attributed_to_who_solved_it(line, support, support_agent) -> None:
    from tests import factories

    other = factories.agent(role="agent", groups=["Support"])
    chat = line("telegram", support)
    chat.customer_writes(msk(2024, 6, 10, 10, 0))
    chat.set(msk(2024, 6, 10, 10, 1), support_agent, assignee=other)
    chat.set(msk(2024, 6, 10, 10, 9), support_agent, status=Status.SOLVED)

    assert Survey.objects.get().agent_id == support_agent.pk


# --- one survey per solve, and the cool-down -----------------------------------------------------


def test_one_survey_per_solve_and_a_cool_down_after_reopening(line, support, support_agent) -> None:
    chat = line("telegram", support, cooldown_hours=72)
    chat.customer_writes(msk(2024, 6, 10, 10, 0))
    chat.agent_replies(msk(2024, 6, 10, 10, 5), support_agent, status=Status.SOLVED)
    # Closing a solved ticket is the same solve: nothing new is asked.
    chat.set(msk(2024, 6, 10, 11, 0), support_agent, status=Status.CLOSED)
    assert Survey.objects.count() == 1

    again = line("telegram", support, cooldown_hours=72)
    again.customer_writes(msk(2024, 6, 11, 10, 0), who="bob")
    again.agent_replies(msk(2024, 6, 11, 10, 5), support_agent, status=Status.SOLVED)
    again.customer_writes(msk(2024, 6, 11, 12, 0), who="bob", text="One more thing")
    again.agent_replies(msk(2024, 6, 11, 12, 5), support_agent, status=Status.SOLVED)

    first, second = Survey.objects.filter(ticket=again.ticket).order_by("solve_seq")
    assert first.state == SurveyState.SENT
    assert second.state == SurveyState.CANCELLED
    assert "72 hours" in second.state_reason
    assert len(survey_messages(again.ticket)) == 1

    # Three days later the customer is back with something new on the same ticket.
    again.customer_writes(msk(2024, 6, 14, 12, 0), who="bob", text="And now this")
    again.agent_replies(msk(2024, 6, 14, 12, 30), support_agent, status=Status.SOLVED)
    third = Survey.objects.get(ticket=again.ticket, solve_seq=2)
    assert third.state == SurveyState.SENT
    assert len(survey_messages(again.ticket)) == 2


def test_a_lost_solve_is_picked_up_by_the_sweep_but_not_a_day_later(
    line, support, support_agent, django_capture_on_commit_callbacks
) -> None:
    from unidesk.core.actor import Actor
    from unidesk.tickets.services import ticket_update

    chat = line("telegram", support)
    chat.customer_writes(msk(2024, 6, 10, 10, 0))
    # Solved, but the process died before its after-commit work ran.
    with time_machine.travel(msk(2024, 6, 10, 10, 5), tick=False):
        ticket_update(ticket=chat.ticket, actor=Actor.for_agent(support_agent), status="solved")
    assert not Survey.objects.exists()

    with time_machine.travel(msk(2024, 6, 10, 10, 6), tick=False):
        assert surveys_sweep() >= 1
    assert Survey.objects.get().state == SurveyState.SENT

    late = line("telegram", support)
    late.customer_writes(msk(2024, 6, 10, 10, 0), who="late")
    with time_machine.travel(msk(2024, 6, 10, 10, 5), tick=False):
        ticket_update(ticket=late.ticket, actor=Actor.for_agent(support_agent), status="solved")
    with time_machine.travel(msk(2024, 6, 11, 10, 6), tick=False):
        surveys_sweep()
    assert not Survey.objects.filter(ticket=late.ticket).exists()


# --- email -------------------------------------------------------------------------------------


def test_email_asks_two_hours_after_the_solve_quoting_the_conversation(
    line, support, support_agent
) -> None:
    mail = line("email", support)
    mail.customer_writes(msk(2024, 6, 14, 15, 0), text="My boots came in the wrong size.")
    mail.agent_replies(msk(2024, 6, 14, 16, 0), support_agent, status=Status.SOLVED)  # Friday

    survey = Survey.objects.get()
    assert (survey.state, survey.due_at) == (SurveyState.SCHEDULED, msk(2024, 6, 14, 18, 0))
    with time_machine.travel(msk(2024, 6, 14, 17, 59), tick=False):
        surveys_send_due()
    assert survey_messages(mail.ticket) == []

    with time_machine.travel(msk(2024, 6, 14, 18, 0, 30), tick=False):
        assert surveys_send_due() == 1
    (message,) = survey_messages(mail.ticket)
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT
    assert "My boots came in the wrong size." in message.text
    assert "&gt;" not in message.text
    assert "> " in message.text
    assert "<blockquote>" in message.html
    assert "My boots came in the wrong size." in message.html
    urls = [b["url"] for b in message.metadata["buttons"][0]]
    assert urls == [links.link_url(survey.pk, survey.nonce, rating=r) for r in (1, 2, 3)]
    assert all(url in message.text for url in urls)
    assert "data" not in message.metadata["buttons"][0][0]


def test_a_message_after_the_solve_pushes_the_email_back(line, support, support_agent) -> None:
    mail = line("email", support)
    mail.customer_writes(msk(2024, 6, 10, 10, 0))
    mail.agent_replies(msk(2024, 6, 10, 11, 0), support_agent, status=Status.SOLVED)
    # The agent sends one more message without reopening (the status stays solved).
    mail.agent_replies(msk(2024, 6, 10, 12, 0), support_agent)

    with time_machine.travel(msk(2024, 6, 10, 13, 1), tick=False):
        surveys_send_due()
    survey = Survey.objects.get()
    assert (survey.state, survey.due_at) == (SurveyState.SCHEDULED, msk(2024, 6, 10, 14, 0))
    with time_machine.travel(msk(2024, 6, 10, 14, 0), tick=False):
        surveys_send_due()
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT


def test_email_is_never_later_than_the_end_of_the_next_working_day(
    line, support, support_agent
) -> None:
    # A four-day delay from Tuesday 11 June: Wednesday is a holiday, so the next working
    # day is Thursday, and the survey goes out at its end.
    mail = line("email", support, email_delay_minutes=4 * 24 * 60)
    mail.customer_writes(msk(2024, 6, 11, 10, 0))
    mail.agent_replies(msk(2024, 6, 11, 11, 0), support_agent, status=Status.SOLVED)

    assert Survey.objects.get().due_at == msk(2024, 6, 13, 18, 0)


def test_the_next_working_day_skips_weekends_and_holidays(support, billing) -> None:
    office = calendar_for(support)
    assert end_of_next_working_day(office, msk(2024, 6, 14, 16, 0)) == msk(2024, 6, 17, 18, 0)
    assert end_of_next_working_day(office, msk(2024, 6, 11, 23, 0)) == msk(2024, 6, 13, 18, 0)
    assert end_of_next_working_day(office, msk(2024, 6, 15, 12, 0)) == msk(2024, 6, 17, 18, 0)
    around_the_clock = calendar_for(billing)
    moment = msk(2024, 6, 15, 12, 0)
    end = end_of_next_working_day(around_the_clock, moment)
    assert timedelta(hours=24) < end - moment <= timedelta(hours=48)


def test_reopening_before_the_email_went_out_cancels_it(line, support, support_agent) -> None:
    mail = line("email", support)
    mail.customer_writes(msk(2024, 6, 10, 10, 0))
    mail.agent_replies(msk(2024, 6, 10, 11, 0), support_agent, status=Status.SOLVED)
    mail.set(msk(2024, 6, 10, 11, 30), support_agent, status=Status.OPEN)

    survey = Survey.objects.get()
    assert survey.state == SurveyState.CANCELLED
    with time_machine.travel(msk(2024, 6, 10, 14, 0), tick=False):
        surveys_send_due()
    assert survey_messages(mail.ticket) == []


# --- phone -------------------------------------------------------------------------------------


def call_event(number: str = "+79990001122") -> dict:
    return {
        "call": {
            "id": "c-1", "direction": "inbound", "status": "answered", "caller": number,
            "started_at": "2024-06-10T07:00:00+00:00", "ended_at": "2024-06-10T07:04:00+00:00",
        }
    }  # fmt: skip


def test_a_call_is_asked_about_through_the_customers_messenger(
    line, support, support_agent
) -> None:
    from unidesk.customers.services import identity_add

    messenger = line("telegram", support)
    messenger.customer_writes(msk(2024, 6, 8, 12, 0), who="tg-555", text="Привет")
    # An agent added the customer's phone number to their card, so the call is theirs.
    identity_add(customer=messenger.ticket.requester, kind="phone", value="+79990001122")
    phone = line("phone", support)
    phone.customer_writes(msk(2024, 6, 10, 10, 4), text="Incoming call", metadata=call_event())
    assert phone.ticket.requester_id == messenger.ticket.requester_id

    phone.set(msk(2024, 6, 10, 10, 6), support_agent, status=Status.SOLVED)

    survey = Survey.objects.get(ticket=phone.ticket)
    assert survey.state == SurveyState.SENT
    assert survey.sent_ticket_id == messenger.ticket.pk
    (message,) = survey_messages(messenger.ticket)
    assert message.metadata["buttons"][0][0]["data"].startswith("csat:")
    assert survey_messages(phone.ticket) == []


def test_a_call_without_a_messenger_is_recorded_as_could_not_ask(
    line, support, support_agent
) -> None:
    phone = line("phone", support)
    phone.customer_writes(msk(2024, 6, 10, 10, 4), text="Incoming call", metadata=call_event())
    phone.set(msk(2024, 6, 10, 10, 6), support_agent, status=Status.SOLVED)

    survey = Survey.objects.get()
    assert survey.state == SurveyState.UNREACHABLE
    assert "messenger" in survey.state_reason
