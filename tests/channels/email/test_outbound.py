"""Replies leave over the mailbox's SMTP server (a real aiosmtpd server here) as emails
that thread in the customer's mail client; failures are shown and retried sensibly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.channels.email.support import ADDRESS, customer_mail, mailbox, post_raw
from tests.channels.support import queue_outbound
from tests.support.server import free_port
from tests.support.smtp import smtp_sink
from unidesk.channels.models import Delivery
from unidesk.channels.services import channel_connect, reply_send
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.customers.services import customer_for_identity
from unidesk.tickets.models import Message, ParticipantRole, Ticket
from unidesk.tickets.services import NewAttachment, participant_add, ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return factories.agent(role="agent", groups=["Support"], name="Anna Ivanova")


def conversation(account, run_tasks, **mail) -> Ticket:
    post_raw(account, customer_mail(**mail))
    run_tasks()
    return Ticket.objects.get()


def test_an_agent_reply_arrives_as_a_threaded_email(sink, run_tasks, anna) -> None:
    account = mailbox(**sink.settings, acknowledge="off", reply_to="help@shop.example")
    ticket = conversation(account, run_tasks)
    reply = reply_send(
        ticket=ticket, author=anna, text="Your parcel left the warehouse today.",
        attachments=[NewAttachment("label.pdf", b"%PDF-1.4 label", "application/pdf")],
    )  # fmt: skip
    run_tasks()

    (received,) = sink.received
    email = received.message
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert email["From"].addresses[0].display_name == "Anna Ivanova"
    assert email["From"].addresses[0].addr_spec == ADDRESS
    assert str(email["To"]) == "olga@client.example"
    assert str(email["Reply-To"]) == "help@shop.example"
    assert str(email["Subject"]) == f"Re: Where is my order? [#{ticket.number}]"
    assert str(email["Message-ID"]) == f"<{reply.external_id}>"
    assert reply.external_id.endswith("@shop.example")
    assert str(email["In-Reply-To"]) == "<first@client.example>"
    assert str(email["References"]) == "<first@client.example>"
    assert "Auto-Submitted" not in email
    assert email.get_body(("plain",)).get_content().strip() == (
        "Your parcel left the warehouse today."
    )
    assert "Your parcel left the warehouse today." in email.get_body(("html",)).get_content()
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_filename() == "label.pdf"
    assert attachment.get_content() == b"%PDF-1.4 label"
    assert received.mail_from == ADDRESS
    assert received.rcpt_tos == ["olga@client.example"]


def test_copies_go_in_cc_and_blind_copies_only_in_the_envelope(sink, run_tasks, anna) -> None:
    account = mailbox(**sink.settings, acknowledge="off")
    ticket = conversation(account, run_tasks, cc="boss@client.example")
    auditor = customer_for_identity(kind="email", value="auditor@client.example").identity
    participant_add(ticket=ticket, identity=auditor, actor=Actor.system(),
                    role=ParticipantRole.BCC)  # fmt: skip
    # Reassigning the ticket changes nothing about who receives the replies.
    other = factories.agent(role="agent", groups=["Support"])
    ticket_update(ticket=ticket, actor=Actor.system(), assignee=other)

    reply_send(ticket=ticket, author=anna, text="Copying everyone.")
    run_tasks()

    (received,) = sink.received
    assert str(received.message["Cc"]) == "boss@client.example"
    assert "Bcc" not in received.message
    assert b"auditor@client.example" not in received.data
    assert sorted(received.rcpt_tos) == [
        "auditor@client.example", "boss@client.example", "olga@client.example",
    ]  # fmt: skip


def test_the_subject_token_can_be_switched_off(sink, run_tasks, anna) -> None:
    account = mailbox(**sink.settings, acknowledge="off", subject_token="off")
    ticket = conversation(account, run_tasks, subject="Re: Refund")
    reply_send(ticket=ticket, author=anna, text="Done.")
    run_tasks()

    assert str(sink.received[0].message["Subject"]) == "Re: Refund"


def test_link_buttons_become_links(sink, run_tasks) -> None:
    account = mailbox(**sink.settings, acknowledge="off")
    ticket = conversation(account, run_tasks)
    queue_outbound(ticket, text="How did we do?", metadata={"buttons": [[
        {"text": "Great", "url": "https://desk.example/csat/abc?score=5"},
        {"text": "Bad", "url": "https://desk.example/csat/abc?score=1"},
        {"text": "press me", "data": "csat:3"},
    ]]})  # fmt: skip
    run_tasks()

    email = sink.received[0].message
    plain = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert str(email["Auto-Submitted"]) == "auto-generated"  # a survey nobody typed
    assert "Great: https://desk.example/csat/abc?score=5" in plain
    assert 'href="https://desk.example/csat/abc?score=1"' in html
    assert ">Bad</a>" in html
    assert "press me" not in plain


def test_a_temporary_failure_is_retried_with_the_same_message_id(sink, run_tasks, anna) -> None:
    account = mailbox(**sink.settings, acknowledge="off")
    ticket = conversation(account, run_tasks)
    sink.data_replies.append("451 4.3.0 Try again later")
    reply = reply_send(ticket=ticket, author=anna, text="Second try works.")
    run_tasks()

    reply.refresh_from_db()
    assert reply.delivery_status == "queued"
    assert "451 4.3.0 Try again later" in reply.delivery_error
    assert "Retrying automatically" in reply.delivery_error
    first_key = Delivery.objects.get(message=reply).idempotency_key

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        run_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert reply.external_id.startswith(str(first_key))
    assert str(sink.received[0].message["Message-ID"]) == f"<{first_key}@shop.example>"


def test_a_refused_recipient_fails_at_once_with_the_reason(sink, run_tasks, anna) -> None:
    account = mailbox(**sink.settings, acknowledge="off")
    ticket = conversation(account, run_tasks)
    sink.refuse["olga@client.example"] = "550 5.1.1 <olga@client.example>: User unknown"
    reply = reply_send(ticket=ticket, author=anna, text="Hello?")
    run_tasks()

    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "refused the recipient olga@client.example" in reply.delivery_error
    assert "550 5.1.1" in reply.delivery_error
    assert Delivery.objects.get(message=reply).attempts == 1


def test_a_wrong_smtp_password_fails_at_once(run_tasks, anna) -> None:
    with smtp_sink(user="desk", password="right") as sink:
        account = mailbox(**{**sink.settings, "smtp_password": "wrong"}, acknowledge="off")
        ticket = conversation(account, run_tasks)
        reply = reply_send(ticket=ticket, author=anna, text="Hello?")
        run_tasks()

    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "refused the login" in reply.delivery_error
    assert "535" in reply.delivery_error
    assert "wrong" not in reply.delivery_error


def test_the_right_smtp_password_sends(run_tasks, anna) -> None:
    with smtp_sink(user="desk", password="right") as sink:
        account = mailbox(**{**sink.settings, "smtp_password": "right"}, acknowledge="off")
        ticket = conversation(account, run_tasks)
        reply_send(ticket=ticket, author=anna, text="Hello!")
        run_tasks()
        assert len(sink.received) == 1
    assert account.settings.get("smtp_password") is None  # kept encrypted, not in settings
    assert account.secrets["smtp_password"] == "right"


def test_a_server_that_is_down_is_retried_later(run_tasks, anna) -> None:
    account = mailbox(
        acknowledge="off", smtp_host="127.0.0.1", smtp_port=str(free_port()), smtp_security="none"
    )
    ticket = conversation(account, run_tasks)
    reply = reply_send(ticket=ticket, author=anna, text="Anyone there?")
    run_tasks()

    reply.refresh_from_db()
    assert reply.delivery_status == "queued"
    assert "Could not talk to the SMTP server 127.0.0.1" in reply.delivery_error
    assert Message.objects.filter(pk=reply.pk, delivery_status="failed").count() == 0


def test_connect_checks_the_smtp_login_and_says_why_it_fails(run_tasks) -> None:
    with smtp_sink(user="desk", password="right") as sink:
        good = mailbox(**{**sink.settings, "smtp_password": "right"})
        assert "SMTP login to 127.0.0.1 works" in channel_connect(account=good)
        bad = mailbox(
            "Billing", **{**sink.settings, "smtp_password": "wrong"}, address="b@shop.example"
        )
        with pytest.raises(ValidationFailed, match="SMTP"):
            channel_connect(account=bad)
