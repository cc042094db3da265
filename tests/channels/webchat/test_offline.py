"""A visitor who left before the answer came gets it at the email they left; one who
saw it in the chat does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from tests import factories
from tests.support.webchat import visitor_says
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import reply_send
from unidesk.channels.webchat.models import Visitor
from unidesk.channels.webchat.offline import email_unseen_replies
from unidesk.tickets.models import DeliveryStatus, Message

pytestmark = pytest.mark.django_db

NOON = "2026-03-02 12:00:00 +0300"


@pytest.fixture
def account(db: None) -> ChannelAccount:
    return factories.channel("webchat", name="Ромашка", group_name="General")[0]


def _visitor(account: ChannelAccount, name: str, email: str = "", language: str = "ru") -> None:
    Visitor.objects.create(
        channel=account, public_id=name.ljust(20, "0")[:20], thread_key=f"v:{name}",
        identity_kind="webchat", identity_value=f"visitor-{name}", email=email,
        language=language, page_url="https://shop.example/help",
    )  # fmt: skip


def test_replies_the_visitor_missed_go_to_their_email_once(
    account: ChannelAccount, run_tasks: object
) -> None:
    agent = factories.agent(groups=["General"], name="Ольга")
    _visitor(account, "gone", email="petr@example.com")
    with time_machine.travel(NOON, tick=False) as clock:
        ticket = visitor_says(account, "Где заказ?", visitor="gone").ticket
        first = reply_send(ticket=ticket, author=agent, text="Заказ в пути.")
        second = reply_send(ticket=ticket, author=agent, text="Трек: RA123.")
        Message.objects.filter(pk__in=[first.pk, second.pk]).update(
            delivery_status=DeliveryStatus.SENT
        )
        assert email_unseen_replies() == 0  # give them a few minutes
        clock.shift(timedelta(minutes=4))
        assert email_unseen_replies() == 1
        assert email_unseen_replies() == 0

    (sent,) = mail.outbox
    assert sent.to == ["petr@example.com"]
    assert "Ромашка" in sent.subject
    assert "Заказ в пути." in sent.body
    assert "Трек: RA123." in sent.body
    assert "https://shop.example/help" in sent.body


def test_seen_replies_and_visitors_without_email_get_nothing(account: ChannelAccount) -> None:
    agent = factories.agent(groups=["General"])
    _visitor(account, "here", email="anna@example.com")
    _visitor(account, "anon")
    with time_machine.travel(NOON, tick=False) as clock:
        seen = reply_send(ticket=visitor_says(account, "Hi", visitor="here").ticket,
                          author=agent, text="Hello!")  # fmt: skip
        Message.objects.filter(pk=seen.pk).update(delivery_status=DeliveryStatus.READ)
        unseen = reply_send(ticket=visitor_says(account, "Hi", visitor="anon").ticket,
                            author=agent, text="Hello!")  # fmt: skip
        Message.objects.filter(pk=unseen.pk).update(delivery_status=DeliveryStatus.SENT)
        clock.shift(timedelta(minutes=10))

        assert email_unseen_replies() == 0

    assert mail.outbox == []
