"""Answering in the demo desk: replies are recorded as sent, say that they went nowhere,
and an email reply is kept as an .eml file that opens in a mail client."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from unidesk.accounts.models import Agent
from unidesk.channels import outbox
from unidesk.channels.base import IdentityRef, InboundMessage
from unidesk.channels.ingest import ingest
from unidesk.channels.models import ChannelAccount, Delivery, DeliveryState
from unidesk.channels.services import reply_send
from unidesk.demo import loader
from unidesk.tickets.models import DeliveryStatus, Direction, Message, Origin, Status, Ticket

pytestmark = pytest.mark.usefixtures("demo", "db")


def head_of_support() -> Agent:
    return Agent.objects.get(email=loader.DEMO_LOGIN_EMAIL)


def demo_note() -> str:
    """What a reply of a demo channel says next to its status, in the agent's language."""
    with translation.override(head_of_support().language):
        return gettext("(demo: not delivered to a real recipient)")


def send_and_deliver(ticket: Ticket, text: str) -> Message:
    reply = reply_send(ticket=ticket, author=head_of_support(), text=text)
    delivery = Delivery.objects.get(message=reply)
    # What the worker does with the queued delivery.
    assert outbox.deliver_now(delivery.pk) == DeliveryState.SENT
    reply.refresh_from_db()
    return reply


def ticket_page(ticket: Ticket) -> str:
    client = Client()
    client.force_login(head_of_support())
    response = client.get(f"/t/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_email_reply_is_marked_sent_and_kept_as_an_eml(settings: Any) -> None:
    ticket = Ticket.objects.get(subject="Где заказ 48297?")
    customer_letter = ticket.messages.get(direction=Direction.IN)

    reply = send_and_deliver(ticket, "Посылка у курьера, трек-номер 1029384999.")

    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.delivery_error == ""
    assert reply.sent_at is not None
    saved = Path(settings.DEMO_OUTBOX_DIR) / reply.metadata["demo_delivery"]["file"]
    assert saved.suffix == ".eml"
    letter = BytesParser(policy=policy.default).parsebytes(saved.read_bytes())
    assert letter["From"].addresses[0].addr_spec == "support@tropa.example"
    assert letter["From"].addresses[0].display_name == "Анна Смирнова"
    assert str(letter["To"]) == "vadim.ilyin@example.com"
    assert str(letter["Subject"]) == f"Re: Где заказ 48297? [#{ticket.number}]"
    assert str(letter["In-Reply-To"]) == f"<{customer_letter.external_id}>"
    assert str(letter["Message-ID"]) == f"<{reply.external_id}>"
    body = letter.get_body(preferencelist=("plain",))
    assert body is not None
    assert "трек-номер 1029384999" in body.get_content()
    page = ticket_page(ticket)
    assert demo_note() in page
    assert saved.name in page


def test_a_messenger_reply_is_marked_sent_without_a_file(settings: Any) -> None:
    ticket = Ticket.objects.filter(channel="telegram", status=Status.NEW).first()
    assert ticket is not None

    reply = send_and_deliver(ticket, "Здравствуйте! Уже проверяем.")

    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.metadata["demo_delivery"] == {"file": ""}
    assert not Path(settings.DEMO_OUTBOX_DIR).exists()
    assert demo_note() in ticket_page(ticket)


def test_only_the_channels_without_a_platform_record_their_replies() -> None:
    demo = {
        account.kind
        for account in ChannelAccount.objects.all()
        if account.settings.get("demo_delivery") == "on"
    }

    assert demo == {"api", "email", "telegram", "whatsapp", "vk", "phone"}
    # The web chat is served by the desk itself: its visitors get the replies.
    chat = ChannelAccount.objects.get(kind="webchat")
    assert "demo_delivery" not in chat.settings


def test_a_new_letter_to_a_demo_mailbox_is_acknowledged_into_the_demo_outbox(
    settings: Any, run_tasks: Any
) -> None:
    mailbox = ChannelAccount.objects.get(kind="email", name="support@tropa.example")
    arrived = ingest(
        mailbox,
        InboundMessage(
            external_id="first-try@evaluator.example",
            identity=IdentityRef("email", "tester@evaluator.example"),
            name="Test Person",
            subject="Trying the demo",
            text="Hello! Do you ship to Almaty?",
        ),
    )

    run_tasks()

    acknowledgement = arrived.ticket.messages.get(origin=Origin.AUTO_REPLY)
    assert acknowledgement.delivery_status == DeliveryStatus.SENT
    saved = Path(settings.DEMO_OUTBOX_DIR) / acknowledgement.metadata["demo_delivery"]["file"]
    letter = BytesParser(policy=policy.default).parsebytes(saved.read_bytes())
    assert str(letter["To"]) == "tester@evaluator.example"
    assert str(letter["Auto-Submitted"]) == "auto-replied"
    assert f"#{arrived.ticket.number}" in str(letter["Subject"])
