"""The inbound SMTP listener in a real SMTP conversation: mail for our addresses is stored
before "250", anything else is refused with 550."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from tests.channels.email.support import ADDRESS, customer_mail, mailbox
from tests.support.server import free_port
from unidesk.channels.email.smtpd import controller
from unidesk.channels.models import InboundRecord
from unidesk.tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listener() -> Iterator[tuple[str, int]]:
    port = free_port()
    server = controller(host="127.0.0.1", port=port, hostname="desk.test")
    server.start()
    try:
        yield "127.0.0.1", port
    finally:
        server.stop()


def test_mail_for_a_mailbox_is_accepted_and_becomes_a_ticket(listener, run_tasks) -> None:
    account = mailbox()
    with smtplib.SMTP(*listener, timeout=10) as client:
        refused = client.sendmail("olga@client.example", [ADDRESS], customer_mail())

    assert refused == {}
    assert InboundRecord.objects.filter(channel_account=account).count() == 1
    run_tasks()
    ticket = Ticket.objects.get()
    assert ticket.requester_identity.value == "olga@client.example"
    assert ticket.channel_account_id == account.pk


def test_an_alias_reaches_its_mailbox(listener, run_tasks) -> None:
    account = mailbox()
    with smtplib.SMTP(*listener, timeout=10) as client:
        client.sendmail("olga@client.example", ["Sales@Shop.Example"], customer_mail())
    run_tasks()
    assert Ticket.objects.get().channel_account_id == account.pk


def test_other_recipients_are_refused_with_550(listener) -> None:
    mailbox()
    with smtplib.SMTP(*listener, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("spammer@evil.example", ["victim@elsewhere.example"],
                            customer_mail())  # fmt: skip
        code, reason = refused.value.recipients["victim@elsewhere.example"]
        assert code == 550
        assert b"No such mailbox" in reason
        # One good and one unknown recipient: the good one gets the message.
        partly = client.sendmail("olga@client.example", [ADDRESS, "nobody@shop.example"],
                                 customer_mail())  # fmt: skip
    assert partly["nobody@shop.example"][0] == 550
    assert InboundRecord.objects.count() == 1


def test_a_switched_off_mailbox_takes_no_mail(listener) -> None:
    account = mailbox()
    account.is_active = False
    account.save(update_fields=["is_active"])
    with (
        smtplib.SMTP(*listener, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.sendmail("olga@client.example", [ADDRESS], customer_mail())
    assert InboundRecord.objects.count() == 0
