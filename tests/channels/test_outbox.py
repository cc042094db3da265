"""The one way out: replies reach the API channel's callback URL over real HTTP."""

import hmac
from datetime import timedelta
from hashlib import sha256

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.support.http import fake_server
from unidesk.channels import outbox
from unidesk.channels.events import DeliveryGaveUp
from unidesk.channels.models import Delivery, DeliveryState
from unidesk.channels.services import reply_send
from unidesk.tickets.models import Message, Status
from unidesk.tickets.services import NewAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def callback():
    with fake_server() as server:
        yield server


@pytest.fixture
def conversation(callback, run_tasks):
    account, secret = factories.channel("api", settings={"callback_url": callback.url + "/hook"})
    result = factories.conversation(
        account, identity=("api", "crm-42"), thread_key="t-1", external_id="in-1"
    )
    run_tasks()  # what follows the customer's message (merge suggestions…), out of the way
    return result.ticket, secret


def test_a_reply_is_delivered_to_the_callback_signed_and_marked_sent(
    conversation, callback, agent, run_tasks
) -> None:
    ticket, secret = conversation
    reply = reply_send(ticket=ticket, author=agent, text="Your parcel left today.")
    assert Message.objects.get(pk=reply.pk).delivery_status == "queued"

    assert run_tasks() == 1

    (request,) = callback.requests
    body = request.json()
    assert request.path == "/hook"
    assert body["message"]["text"] == "Your parcel left today."
    assert body["ticket"] == {
        "id": ticket.pk, "number": ticket.number, "thread": "t-1", "subject": ticket.subject,
    }  # fmt: skip
    assert body["recipient"] == {"kind": "api", "value": "crm-42"}
    assert body["message"]["in_reply_to"] == "in-1"
    timestamp, signature = (part.split("=", 1)[1] for part in
                            request.headers["x-unidesk-signature"].split(","))  # fmt: skip
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, sha256)
    assert signature == expected.hexdigest()
    assert request.headers["idempotency-key"] == str(Delivery.objects.get().idempotency_key)
    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "sent"
    assert message.sent_at is not None


def test_attachments_travel_with_the_reply(conversation, callback, agent, run_tasks) -> None:
    ticket, _ = conversation
    pdf = NewAttachment(filename="invoice.pdf", data=b"%PDF-1.4", content_type="application/pdf")
    reply_send(ticket=ticket, author=agent, text="Invoice attached", attachments=[pdf])
    run_tasks()

    (attachment,) = callback.requests[0].json()["message"]["attachments"]
    assert attachment["filename"] == "invoice.pdf"
    assert attachment["size"] == 8
    assert attachment["data_base64"] == "JVBERi0xLjQ="


def test_a_temporary_failure_is_retried_with_back_off_until_it_succeeds(
    conversation, callback, agent, run_tasks
) -> None:
    ticket, _ = conversation
    callback.answer((503, {"error": "maintenance"}), (200, {}))
    reply = reply_send(ticket=ticket, author=agent, text="Hello")

    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    delivery = Delivery.objects.get()
    assert message.delivery_status == "queued"
    assert "503" in message.delivery_error
    assert "Retrying" in message.delivery_error
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert run_tasks() == 0  # nothing is due yet

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert run_tasks() == 1

    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert len(callback.requests) == 2
    assert len({r.headers["idempotency-key"] for r in callback.requests}) == 1


def test_a_refusal_fails_at_once_with_a_readable_reason(
    conversation, callback, agent, run_tasks, published
) -> None:
    ticket, _ = conversation
    callback.answer((400, {"error": "unknown thread"}))
    reply = reply_send(ticket=ticket, author=agent, text="Hello")

    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert "400" in message.delivery_error
    assert "unknown thread" in message.delivery_error
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert any(isinstance(e, DeliveryGaveUp) for e in published)
    assert len(callback.requests) == 1


def test_retries_stop_after_the_configured_number_of_attempts(
    conversation, callback, agent, run_tasks, settings
) -> None:
    settings.UNIDESK = {**settings.UNIDESK, "DELIVERY_MAX_ATTEMPTS": 3}
    ticket, _ = conversation
    callback.answer((500, {}))
    reply = reply_send(ticket=ticket, author=agent, text="Hello")

    moment = timezone.now()
    for _ in range(5):
        with time_machine.travel(moment):
            run_tasks()
        moment += timedelta(hours=2)

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert "Gave up after 3 attempts" in message.delivery_error
    assert len(callback.requests) == 3


def test_an_unreachable_callback_is_a_temporary_failure(agent, run_tasks) -> None:
    account, _ = factories.channel("api", settings={"callback_url": "http://127.0.0.1:9/none"})
    ticket = factories.conversation(account).ticket
    reply = reply_send(ticket=ticket, author=agent, text="Hello")

    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "queued"
    assert "Could not reach the callback URL" in message.delivery_error


def test_a_channel_without_a_callback_says_where_replies_are(agent, run_tasks) -> None:
    account, _ = factories.channel("api")
    reply = reply_send(ticket=factories.conversation(account).ticket, author=agent, text="Hi")

    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert "no callback_url" in message.delivery_error


def test_a_crash_after_commit_before_sending_loses_nothing(
    conversation, callback, agent, run_tasks
) -> None:
    """The worker that claimed the delivery died before calling the platform: the lease
    runs out, the sweep finds the row and the reply goes out exactly once."""
    ticket, _ = conversation
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    delivery = Delivery.objects.get()
    assert outbox._claim(delivery.pk, timezone.now())  # the worker claims it, then dies
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # and its task is gone with it

    assert outbox.deliver_now(delivery.pk) == "skipped"  # the lease still holds
    with time_machine.travel(timezone.now() + outbox.LEASE + timedelta(seconds=1)):
        assert outbox.sweep() == 1
        assert run_tasks() == 1
        assert outbox.sweep() == 0

    assert len(callback.requests) == 1
    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"


def test_two_workers_never_send_the_same_delivery(conversation, callback, agent) -> None:
    ticket, _ = conversation
    reply_send(ticket=ticket, author=agent, text="Hello")
    delivery = Delivery.objects.get()

    first = outbox.deliver_now(delivery.pk)
    second = outbox.deliver_now(delivery.pk)

    assert (first, second) == ("sent", "skipped")
    assert len(callback.requests) == 1


def test_a_reply_that_fails_to_store_enqueues_nothing(conversation, agent) -> None:
    ticket, _ = conversation
    with pytest.raises(Exception, match="empty"):
        reply_send(ticket=ticket, author=agent, text="   ")

    assert Delivery.objects.count() == 0
    assert Message.objects.filter(direction="out").count() == 0


def test_a_failed_reply_can_be_retried_by_the_agent(
    conversation, callback, agent, run_tasks
) -> None:
    ticket, _ = conversation
    callback.answer((400, {}), (200, {}))
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()
    assert Message.objects.get(pk=reply.pk).delivery_status == "failed"

    outbox.retry_failed(Delivery.objects.get())
    run_tasks()

    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"


def test_reply_with_status_marks_first_response_and_solves(conversation, agent, run_tasks) -> None:
    ticket, _ = conversation

    reply_send(ticket=ticket, author=agent, text="Done!", status_after=Status.SOLVED)

    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.first_response_at is not None
    assert ticket.agent_reply_count == 1
