import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from tests import factories
from unidesk.channels.base import IdentityRef, InboundAttachment
from unidesk.channels.ingest_group import ingest_batch
from unidesk.core.actor import Actor
from unidesk.customers.models import Customer, Identity
from unidesk.tickets.events import MessageReceived, TicketCreated, TicketUpdated
from unidesk.tickets.models import Attachment, Message, Status, Ticket
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return factories.channel("api", group_name="General")[0]


def _through_a_batch(account, inbound):
    """One message as the server's lane ingests it: in a batch, answered from lookups made
    for the whole batch."""
    (outcome,) = ingest_batch([(account, lambda: inbound)])
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


@pytest.fixture(autouse=True, params=["alone", "in a batch"])
def ingestion_path(request, monkeypatch) -> None:
    """Every test here runs both ways: the rules do not depend on the path."""
    if request.param == "in a batch":
        monkeypatch.setattr(factories, "ingest", _through_a_batch)


def test_a_first_message_opens_a_ticket_for_a_new_customer(account, published) -> None:
    result = factories.conversation(
        account, identity=("email", "Ann@Example.COM"), name="Ann Lee", text="Where is my order?"
    )

    assert result.created_ticket
    assert not result.duplicate
    ticket = result.ticket
    assert ticket.status == Status.NEW
    assert ticket.subject == "Where is my order?"
    assert ticket.channel == "api"
    assert ticket.group.name == "General"
    assert ticket.requester.name == "Ann Lee"
    assert ticket.requester.identities.get().value == "ann@example.com"
    assert result.message.text == "Where is my order?"
    assert [type(e) for e in published] == [TicketCreated, MessageReceived]


def test_the_same_identity_is_always_the_same_customer(account) -> None:
    first = factories.conversation(account, identity=("email", "bob@example.com"))
    second = factories.conversation(account, identity=("email", "BOB@example.com "))

    assert first.ticket.requester_id == second.ticket.requester_id
    assert Customer.objects.count() == 1


def test_a_duplicate_delivery_returns_the_stored_message_and_creates_nothing(account) -> None:
    first = factories.conversation(account, external_id="msg-1")
    counts = (Ticket.objects.count(), Message.objects.count(), Customer.objects.count())

    again = factories.conversation(account, external_id="msg-1", text="changed text")

    assert again.duplicate
    assert again.message.pk == first.message.pk
    assert again.message.text == first.message.text
    assert (Ticket.objects.count(), Message.objects.count(), Customer.objects.count()) == counts


def test_the_same_external_id_on_two_channels_is_two_messages(account) -> None:
    other = factories.channel("api")[0]

    factories.conversation(account, external_id="shared-1")
    factories.conversation(other, external_id="shared-1")

    assert Message.objects.count() == 2


def test_messages_with_one_thread_key_continue_one_ticket(account) -> None:
    first = factories.conversation(account, thread_key="chat-7", text="Hello")
    second = factories.conversation(account, thread_key="chat-7", text="Are you there?")
    other = factories.conversation(account, thread_key="chat-8", text="New question")

    assert second.ticket.pk == first.ticket.pk
    assert not second.created_ticket
    assert other.ticket.pk != first.ticket.pk
    assert list(first.ticket.messages.values_list("text", flat=True)) == [
        "Hello",
        "Are you there?",
    ]


def test_without_a_thread_key_each_message_is_a_new_ticket(account) -> None:
    first = factories.conversation(account)
    second = factories.conversation(account)

    assert first.ticket.pk != second.ticket.pk


def test_references_thread_a_reply_to_the_ticket_of_the_earlier_message(account) -> None:
    first = factories.conversation(account, external_id="<a@mail>")

    reply = factories.conversation(account, external_id="<b@mail>", references=("<a@mail>",))

    assert reply.ticket.pk == first.ticket.pk


def test_a_reply_to_a_solved_ticket_within_the_window_reopens_it(account, published) -> None:
    first = factories.conversation(account, thread_key="chat-1")
    ticket_update(ticket=first.ticket, actor=Actor.system(), status=Status.SOLVED)

    reply = factories.conversation(account, thread_key="chat-1", text="It broke again")

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert reply.ticket.pk == ticket.pk
    assert ticket.status == Status.OPEN
    assert ticket.reopen_count == 1
    assert ticket.solved_at is None
    assert ticket.activities.filter(field="status", old_value="solved", new_value="open").exists()
    assert any(isinstance(e, TicketUpdated) and e.changes["status"] == ["solved", "open"]
               for e in published)  # fmt: skip


def test_a_reply_after_the_reopen_window_starts_a_new_ticket(account, settings) -> None:
    settings.UNIDESK = {**settings.UNIDESK, "REOPEN_WINDOW_DAYS": 7}
    first = factories.conversation(account, thread_key="chat-1")
    ticket_update(ticket=first.ticket, actor=Actor.system(), status=Status.SOLVED)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        late = factories.conversation(account, thread_key="chat-1")

    assert late.created_ticket
    assert Ticket.objects.get(pk=first.ticket.pk).status == Status.SOLVED


def test_the_reopen_window_can_be_set_per_channel(account) -> None:
    account.settings = {"reopen_window_days": "1"}
    account.save()
    first = factories.conversation(account, thread_key="chat-1")
    ticket_update(ticket=first.ticket, actor=Actor.system(), status=Status.SOLVED)

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        late = factories.conversation(account, thread_key="chat-1")

    assert late.created_ticket


def test_a_closed_ticket_is_never_reopened(account) -> None:
    first = factories.conversation(account, thread_key="chat-1")
    ticket_update(ticket=first.ticket, actor=Actor.system(), status=Status.CLOSED)

    again = factories.conversation(account, thread_key="chat-1")

    assert again.created_ticket
    assert Ticket.objects.get(pk=first.ticket.pk).status == Status.CLOSED


def test_a_customer_reply_moves_pending_back_to_open(account) -> None:
    first = factories.conversation(account, thread_key="chat-1")
    ticket_update(ticket=first.ticket, actor=Actor.system(), status=Status.PENDING)

    factories.conversation(account, thread_key="chat-1")

    assert Ticket.objects.get(pk=first.ticket.pk).status == Status.OPEN


def test_an_automatic_reply_is_kept_without_reopening(account) -> None:
    first = factories.conversation(account, thread_key="chat-1")
    ticket_update(ticket=first.ticket, actor=Actor.system(), status=Status.SOLVED)

    factories.conversation(account, thread_key="chat-1", text="I am on vacation", auto_reply=True)

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert ticket.status == Status.SOLVED
    assert ticket.messages.filter(text="I am on vacation").exists()


def test_attachments_are_stored_with_safe_names_and_oversized_ones_are_listed(
    account, settings
) -> None:
    settings.MAX_ATTACHMENT_BYTES = 10
    result = factories.conversation(
        account,
        attachments=(
            InboundAttachment(filename="../../etc/passwd", data=b"root", content_type="text/plain"),
            InboundAttachment(filename="big.bin", data=b"x" * 11),
            InboundAttachment(filename="lost.pdf", error="download failed: 404"),
        ),
    )

    stored = {a.filename: a for a in result.message.attachments.all()}
    assert set(stored) == {"passwd", "big.bin", "lost.pdf"}
    assert stored["passwd"].file.read() == b"root"
    assert ".." not in stored["passwd"].file.name
    assert stored["big.bin"].error.startswith("11")
    assert not stored["big.bin"].file
    assert stored["lost.pdf"].error == "download failed: 404"


def test_cc_addresses_become_participants_but_not_the_requester(account) -> None:
    result = factories.conversation(
        account,
        identity=("email", "ann@example.com"),
        cc=(IdentityRef("email", "boss@example.com"), IdentityRef("email", "ann@example.com")),
    )

    participants = result.ticket.participants.select_related("identity")
    assert [p.identity.value for p in participants] == ["boss@example.com"]


def test_a_failed_ingest_leaves_nothing_behind(account, monkeypatch, settings) -> None:
    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("unidesk.channels.ingest._add_participants", lambda *a, **k: explode())

    with pytest.raises(RuntimeError):
        factories.conversation(
            account,
            attachments=(InboundAttachment(filename="a.txt", data=b"hello"),),
        )

    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Attachment.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_events_reach_inline_subscribers_only_after_commit(
    account, django_capture_on_commit_callbacks
) -> None:
    from unidesk.core import events

    seen: list[int] = []

    def handler(event: MessageReceived) -> None:
        seen.append(event.message_id)

    events.subscribe(MessageReceived, handler)
    try:
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            transaction.atomic(),
        ):
            result = factories.conversation(account)
            assert seen == []
        assert seen == []
        for callback in callbacks:
            callback()
        assert seen == [result.message.pk]
    finally:
        # Only this test's subscriber goes; the desk's own stay wired.
        events._subscriptions[:] = [s for s in events._subscriptions if s.handler is not handler]


def test_identities_are_unique_per_kind_and_value(account) -> None:
    factories.conversation(account, identity=("phone", "+7 (999) 123-45-67"))
    factories.conversation(account, identity=("phone", "79991234567"))

    assert Identity.objects.filter(kind="phone").count() == 1
    assert Identity.objects.get(kind="phone").value == "+79991234567"


@pytest.mark.django_db(transaction=True)
def test_racing_duplicate_deliveries_store_one_message_and_one_customer() -> None:
    from django.db import connection

    account = factories.channel("api")[0]
    barrier = threading.Barrier(4)
    results = []
    errors = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(
                factories.conversation(
                    account, external_id="same", identity=("email", "race@example.com")
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Message.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert sum(1 for r in results if not r.duplicate) == 1
