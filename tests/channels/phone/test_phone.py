"""Call events from a telephony system become entries on the customer's timeline."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.channels.phone.fake import bearer, signed_headers
from tests.channels.support import fixture, fixture_bytes, post_webhook
from unidesk.channels.composer import reply_options
from unidesk.channels.models import InboundRecord
from unidesk.channels.services import reply_send
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.customers.models import Customer
from unidesk.tickets.models import Message, Status, Ticket
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def pbx():
    account, secret = factories.channel("phone", group_name="Phone")
    return account, secret


def report(pbx, name: str, *, signed: bool = True):
    account, secret = pbx
    body = fixture_bytes("phone", name)
    headers = signed_headers({"secret": secret}, body) if signed else bearer(secret)
    return post_webhook(account, body, headers)


def test_an_answered_call_is_an_entry_on_the_customers_ticket(pbx, run_tasks) -> None:
    response = report(pbx, "inbound_answered")
    run_tasks()

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "phone"
    assert ticket.requester.name == "Иван Смирнов"
    assert ticket.requester.identities.get().value == "+79161234567"
    message = ticket.messages.get()
    assert message.text == (
        "Incoming call from +79161234567, answered by anna@example.com, duration 3:12."
    )
    call = message.metadata["call"]
    assert (call["direction"], call["status"], call["agent"]) == (
        "inbound",
        "answered",
        "anna@example.com",
    )


def test_the_bearer_secret_works_too(pbx, run_tasks) -> None:
    assert report(pbx, "inbound_answered", signed=False).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-Unidesk-Signature": "t=1,v1=00"}],
)
def test_unauthenticated_call_events_are_refused(pbx, headers) -> None:
    response = post_webhook(pbx[0], fixture_bytes("phone", "inbound_answered"), headers)

    assert response.status_code in (401, 403)
    assert InboundRecord.objects.count() == 0


def test_an_old_signature_cannot_be_replayed(pbx) -> None:
    account, secret = pbx
    body = fixture_bytes("phone", "inbound_answered")
    headers = signed_headers({"secret": secret}, body)

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = post_webhook(account, body, headers)

    assert response.status_code == 403
    assert "too old" in response.json()["error"]["message"]


def test_the_recording_is_linked_when_it_is_ready(pbx, run_tasks) -> None:
    report(pbx, "inbound_answered")
    report(pbx, "recording_ready")
    report(pbx, "recording_ready")  # delivered twice
    run_tasks()

    message = Message.objects.get()
    assert "Recording: https://pbx.example.com/recordings/pbx-7f3a2c.mp3" in message.text
    assert 'href="https://pbx.example.com/recordings/pbx-7f3a2c.mp3"' in message.html
    assert InboundRecord.objects.count() == 2


def test_a_missed_call_opens_a_call_back_ticket(pbx, run_tasks) -> None:
    report(pbx, "inbound_missed")
    run_tasks()

    ticket = Ticket.objects.get()
    assert ticket.subject == "Call back: missed call from +79165550011"
    assert ticket.status == Status.NEW
    assert ticket.messages.get().text == "Missed call from +79165550011. Call back."
    assert ticket.messages.get().metadata["call"]["callback"] is True


def test_calls_join_the_customers_unsolved_phone_ticket_but_not_a_solved_one(
    pbx, run_tasks
) -> None:
    report(pbx, "inbound_answered")
    report(pbx, "outbound_answered")
    run_tasks()
    ticket = Ticket.objects.get()
    assert ticket.messages.count() == 2
    outgoing = ticket.messages.get(external_id="call:pbx-9c52e1").text
    assert outgoing.startswith("Outgoing call to +79161234567 by anna@example.com, duration 1:05.")

    ticket_update(ticket=ticket, actor=Actor.system(), status=Status.SOLVED)
    event = fixture("phone", "inbound_answered")
    event["call_id"] = "pbx-next-day"
    account, secret = pbx
    post_webhook(account, event, {"Authorization": f"Bearer {secret}"})
    run_tasks()

    assert Ticket.objects.count() == 2
    assert Customer.objects.count() == 1


def test_an_incomplete_event_is_kept_and_says_what_is_missing(pbx, run_tasks) -> None:
    assert report(pbx, "invalid_incomplete").status_code == 200
    run_tasks()

    record = InboundRecord.objects.get()
    assert record.state == "unparseable"
    assert "incomplete" in record.error
    assert Ticket.objects.count() == 0


def test_phone_tickets_are_answered_by_calling_back(pbx, agent, run_tasks) -> None:
    report(pbx, "inbound_missed")
    run_tasks()
    ticket = Ticket.objects.get()

    assert not reply_options(ticket).free_text
    with pytest.raises(ValidationFailed, match="answered by calling back"):
        reply_send(ticket=ticket, author=agent, text="hello")
