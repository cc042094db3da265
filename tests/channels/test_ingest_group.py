"""Batches of messages ingested together (``channels.ingest_group``): the same tickets,
customers and events as one at a time, whatever the batch holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from unidesk.channels.base import IdentityRef, InboundMessage
from unidesk.channels.ingest_group import ingest_batch
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.customers.models import Customer, Identity
from unidesk.tickets.events import MessageReceived, TicketCreated, TicketUpdated
from unidesk.tickets.models import Message, Status, Ticket
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return factories.channel("api", group_name="General")[0]


def batch(account, *inbounds: InboundMessage | Exception):
    def builder(item):
        def build():
            if isinstance(item, Exception):
                raise item
            return item

        return build

    return ingest_batch([(account, builder(item)) for item in inbounds])


def test_messages_of_one_new_conversation_land_on_one_new_ticket(account, published) -> None:
    first, second, third = batch(
        account,
        factories.inbound(external_id="m1", identity=("email", "ann@example.com"),
                          thread_key="chat-1", text="Hello"),
        factories.inbound(external_id="m2", identity=("email", "ANN@example.com"),
                          thread_key="chat-1", text="Are you there?"),
        factories.inbound(external_id="m3", identity=("email", "bob@example.com"),
                          thread_key="chat-2", text="My parcel is late"),
    )  # fmt: skip

    assert first.result.created_ticket
    assert not second.result.created_ticket
    assert second.result.ticket.pk == first.result.ticket.pk
    assert third.result.ticket.pk != first.result.ticket.pk
    assert Ticket.objects.count() == 2
    assert Customer.objects.count() == 2
    assert Identity.objects.get(value="ann@example.com").customer.tickets.count() == 1
    ticket = Ticket.objects.get(pk=first.result.ticket.pk)
    assert [m.text for m in ticket.messages.order_by("id")] == ["Hello", "Are you there?"]
    assert ticket.last_customer_message_at == ticket.messages.order_by("id").last().created_at
    assert [type(e) for e in published] == [
        TicketCreated, MessageReceived, MessageReceived, TicketCreated, MessageReceived,
    ]  # fmt: skip


def test_a_repeat_inside_the_batch_and_one_stored_earlier_create_nothing(account) -> None:
    earlier = factories.conversation(account, external_id="m0", thread_key="chat-1")

    outcomes = batch(
        account,
        factories.inbound(external_id="m0", thread_key="chat-1"),
        factories.inbound(external_id="m1", thread_key="chat-1"),
        factories.inbound(external_id="m1", thread_key="chat-1"),
    )

    assert [o.result.duplicate for o in outcomes] == [True, False, True]
    assert outcomes[0].result.message.pk == earlier.message.pk
    assert outcomes[2].result.message.pk == outcomes[1].result.message.pk
    assert Message.objects.count() == 2
    assert Ticket.objects.get().messages.count() == 2


def test_an_existing_conversation_continues_and_wakes_up(account, published) -> None:
    earlier = factories.conversation(account, external_id="m0", thread_key="chat-1")
    ticket_update(ticket=earlier.ticket, actor=Actor.system(), status=Status.PENDING)
    published.clear()

    (outcome,) = batch(account, factories.inbound(external_id="m1", thread_key="chat-1"))

    assert outcome.result.ticket.pk == earlier.ticket.pk
    ticket = Ticket.objects.get()
    assert ticket.status == Status.OPEN
    assert [type(e) for e in published] == [MessageReceived, TicketUpdated]


def test_a_solved_ticket_reopens_within_the_window_and_not_after(account) -> None:
    solved = factories.conversation(account, external_id="m0", thread_key="chat-1").ticket
    ticket_update(ticket=solved, actor=Actor.system(), status=Status.SOLVED)
    closed = factories.conversation(account, external_id="m1", thread_key="chat-2").ticket
    ticket_update(ticket=closed, actor=Actor.system(), status=Status.CLOSED)

    reopened, fresh = batch(
        account,
        factories.inbound(external_id="m2", thread_key="chat-1"),
        factories.inbound(external_id="m3", thread_key="chat-2"),
    )

    assert reopened.result.ticket.pk == solved.pk
    assert Ticket.objects.get(pk=solved.pk).status == Status.OPEN
    assert Ticket.objects.get(pk=solved.pk).reopen_count == 1
    assert fresh.result.created_ticket
    assert Ticket.objects.get(pk=closed.pk).status == Status.CLOSED

    ticket_update(ticket=Ticket.objects.get(pk=solved.pk), actor=Actor.system(),
                  status=Status.SOLVED)  # fmt: skip
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        (late,) = batch(account, factories.inbound(external_id="m4", thread_key="chat-1"))
    assert late.result.created_ticket
    assert Ticket.objects.get(pk=solved.pk).status == Status.SOLVED


def test_the_latest_ticket_of_a_thread_is_continued(account) -> None:
    old = factories.conversation(account, external_id="m0", thread_key="chat-1").ticket
    ticket_update(ticket=old, actor=Actor.system(), status=Status.CLOSED)
    newer = factories.conversation(account, external_id="m1", thread_key="chat-1").ticket

    (outcome,) = batch(account, factories.inbound(external_id="m2", thread_key="chat-1"))

    assert newer.pk != old.pk
    assert outcome.result.ticket.pk == newer.pk


def test_one_bad_message_fails_alone_and_the_rest_is_stored(account) -> None:
    outcomes = batch(
        account,
        factories.inbound(external_id="m1", identity=("email", "new@example.com"),
                          thread_key="chat-1"),
        factories.inbound(external_id="m2", identity=("email", "not an address"),
                          thread_key="chat-1"),
        ValidationFailed("unreadable", fields={"body": "invalid"}),
        factories.inbound(external_id="m3", identity=("email", "new@example.com"),
                          thread_key="chat-1"),
        factories.inbound(external_id="m4", identity=("email", "other@example.com"),
                          thread_key="chat-9"),
    )  # fmt: skip

    assert [o.error is None for o in outcomes] == [True, False, False, True, True]
    assert isinstance(outcomes[1].error, ValidationFailed)
    assert outcomes[3].result.ticket.pk == outcomes[0].result.ticket.pk
    assert Message.objects.count() == 3
    assert Customer.objects.count() == 2


def test_a_message_failing_after_it_made_a_customer_leaves_no_trace(account, monkeypatch) -> None:
    from unidesk.channels import ingest as ingest_module

    real = ingest_module.message_add_inbound

    def fail_for_m1(**kwargs):
        if kwargs["external_id"] == "m1":
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(ingest_module, "message_add_inbound", fail_for_m1)

    outcomes = batch(
        account,
        factories.inbound(external_id="m1", identity=("email", "eve@example.com"),
                          thread_key="chat-1"),
        factories.inbound(external_id="m2", identity=("email", "eve@example.com"),
                          thread_key="chat-1"),
    )  # fmt: skip

    assert isinstance(outcomes[0].error, RuntimeError)
    second = outcomes[1].result
    assert second.created_ticket
    assert Ticket.objects.get().pk == second.ticket.pk
    assert Customer.objects.get().identities.get().value == "eve@example.com"
    assert Message.objects.get().external_id == "m2"


def test_messages_from_two_inboxes_in_one_batch_stay_apart(account) -> None:
    other = factories.channel("api", group_name="Billing")[0]
    first = factories.inbound(external_id="same", thread_key="chat-1")

    mine, theirs = ingest_batch([(account, lambda: first), (other, lambda: first)])

    assert not mine.result.duplicate
    assert not theirs.result.duplicate
    assert mine.result.ticket.pk != theirs.result.ticket.pk
    assert Ticket.objects.get(pk=theirs.result.ticket.pk).group.name == "Billing"
    assert Customer.objects.count() == 1


def test_references_still_thread_inside_a_batch(account) -> None:
    earlier = factories.conversation(account, external_id="<a@mail>", thread_key="")

    (reply,) = batch(
        account,
        InboundMessage(external_id="<b@mail>", identity=IdentityRef("email", "ann@example.com"),
                       text="Re: hello", references=("<a@mail>",)),
    )  # fmt: skip

    assert reply.result.ticket.pk == earlier.ticket.pk


def test_a_message_another_process_stored_meanwhile_is_answered_with_that_one(
    account, monkeypatch
) -> None:
    from unidesk.channels import ingest as ingest_module

    earlier = batch(
        account, factories.inbound(external_id="m1", identity=("email", "ann@example.com"))
    )[0].result
    real_stored = ingest_module._stored
    looked = []

    def not_yet_seen_once(account, external_id):
        # The other process commits m1 between this batch's lookup and its insert.
        if external_id == "m1" and not looked:
            looked.append(external_id)
            return None
        return real_stored(account, external_id)

    monkeypatch.setattr(ingest_module, "_stored", not_yet_seen_once)

    outcomes = batch(
        account,
        factories.inbound(external_id="m1", identity=("email", "ann@example.com")),
        factories.inbound(external_id="m2", identity=("email", "bob@example.com")),
    )

    assert outcomes[0].error is None
    assert outcomes[0].result.duplicate
    assert outcomes[0].result.message.pk == earlier.message.pk
    assert outcomes[1].result.created_ticket
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["m1", "m2"]
