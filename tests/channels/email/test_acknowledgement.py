"""A new email ticket is acknowledged once, with its number and an honest promise of when a
person answers; robots, lists and our own mailboxes never get one, and no address gets
more than a few an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.channels.email.support import customer_mail, eml, mailbox, post_raw
from unidesk.accounts.models import BusinessHours, Group
from unidesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

# A Saturday noon in Moscow.
SATURDAY = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def run_tasks(run_tasks, django_capture_on_commit_callbacks):
    """Run tasks, then what their commits asked for (the acknowledgement is queued after
    the ticket commits), until nothing is left."""

    def run() -> int:
        total = 0
        while True:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                ran = run_tasks()
            total += ran
            if not ran and not callbacks:
                return total

    return run


def acknowledgements() -> list[Message]:
    return list(Message.objects.filter(origin="auto_reply").order_by("id"))


def test_a_new_ticket_is_acknowledged_with_its_number_and_the_promise(sink, run_tasks) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail())
    run_tasks()

    ticket = Ticket.objects.get()
    (ack,) = acknowledgements()
    assert f"#{ticket.number}" in ack.text
    assert "We usually answer within 2 hours." in ack.text
    assert "Hello, Olga Petrova!" in ack.text
    assert ack.delivery_status == "sent"
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # an automatic message is not an answer
    (received,) = sink.received
    email = received.message
    assert str(email["Auto-Submitted"]) == "auto-replied"
    assert str(email["Subject"]) == f"Re: Where is my order? [#{ticket.number}]"
    assert str(email["In-Reply-To"]) == "<first@client.example>"
    assert email["From"].addresses[0].display_name == "Shop support"


def test_outside_working_hours_it_says_when_we_will_answer_in_russian(sink, run_tasks) -> None:
    account = mailbox(**sink.settings)
    hours = BusinessHours.objects.create(
        name="Moscow office", time_zone="Europe/Moscow",
        weekly={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    )  # fmt: skip
    Group.objects.filter(name="Support").update(business_hours=hours)
    with time_machine.travel(SATURDAY):
        post_raw(account, customer_mail(subject="Где мой заказ?", text="Здравствуйте!"))
        run_tasks()

    (ack,) = acknowledgements()
    assert ack.metadata["language"] == "ru"
    assert "Здравствуйте, Olga Petrova!" in ack.text
    assert "в течение 2 часов" in ack.text
    assert "понедельник" in ack.text
    assert f"[#{Ticket.objects.get().number}]" in ack.text


def test_replies_to_a_ticket_are_not_acknowledged_again(sink, run_tasks) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail())
    run_tasks()
    post_raw(account, customer_mail(message_id="again@client.example",
                                    in_reply_to="first@client.example"))  # fmt: skip
    run_tasks()

    assert len(acknowledgements()) == 1


@pytest.mark.parametrize(
    "name",
    ["newsletter_list_id", "noreply_sender", "vacation_auto_submitted", "outlook_out_of_office"],
)
def test_automatic_mail_gets_no_acknowledgement(sink, run_tasks, name) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, eml(name))
    run_tasks()

    assert Ticket.objects.count() == 1
    assert acknowledgements() == []
    assert sink.received == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "junk"},
        {"X-Autorespond": "yes"},
        {"List-Id": "<support.lists.example>"},
    ],
)
def test_loop_headers_stop_the_acknowledgement(sink, run_tasks, headers) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail(headers=headers))
    run_tasks()

    assert acknowledgements() == []


def test_mail_from_our_own_mailbox_is_not_answered(sink, run_tasks) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail(sender="sales@shop.example", name="Sales"))
    run_tasks()

    assert acknowledgements() == []


def test_one_address_gets_at_most_three_an_hour(sink, run_tasks) -> None:
    account = mailbox(**sink.settings)
    start = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        for n in range(5):
            post_raw(account, customer_mail(subject=f"Question {n}", message_id=f"q{n}@c.example"))
            run_tasks()
            clock.shift(timedelta(minutes=1))
        assert Ticket.objects.count() == 5
        assert len(acknowledgements()) == 3
        clock.shift(timedelta(hours=1))
        post_raw(account, customer_mail(subject="Later", message_id="later@c.example"))
        run_tasks()
    assert len(acknowledgements()) == 4


def test_the_template_is_the_mailboxs_own_per_language(sink, run_tasks) -> None:
    account = mailbox(
        **sink.settings,
        acknowledge_template_en="Ticket {number} for {name}: {promise} {unknown}",
        acknowledge_template_ru="Обращение {number}. {promise}",
    )
    post_raw(account, customer_mail())
    post_raw(account, customer_mail(sender="ivan@client.example", name="Иван",
                                    subject="Вопрос", message_id="ru@c.example"))  # fmt: skip
    run_tasks()

    english, russian = acknowledgements()
    first, second = Ticket.objects.order_by("number")
    assert english.text == (
        f"Ticket {first.number} for Olga Petrova: We usually answer within 2 hours. {{unknown}}"
    )
    assert russian.text == f"Обращение {second.number}. Обычно мы отвечаем в течение 2 часов."


def test_the_language_setting_wins_and_acknowledgements_can_be_off(sink, run_tasks) -> None:
    english_only = mailbox(**sink.settings, acknowledge_language="en")
    post_raw(english_only, customer_mail(subject="Вопрос", text="Привет"))
    silent = mailbox("Quiet", **sink.settings, address="quiet@shop.example", acknowledge="off")
    post_raw(silent, customer_mail(message_id="quiet@c.example"))
    run_tasks()

    (ack,) = acknowledgements()
    assert ack.metadata["language"] == "en"
    assert ack.ticket.channel_account_id == english_only.pk


def test_old_mail_and_mailboxes_without_smtp_get_no_acknowledgement(sink, run_tasks) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail(when=datetime(2025, 1, 10, 9, 0, tzinfo=UTC)))
    receive_only = mailbox("Inbox only", address="inbox-only@shop.example")
    post_raw(receive_only, customer_mail(message_id="no-smtp@c.example"))
    run_tasks()

    assert Ticket.objects.count() == 2
    assert acknowledgements() == []
