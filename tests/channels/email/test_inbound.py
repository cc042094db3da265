"""Mail taken in through the raw webhook and the CLI: stored before the answer, turned
into tickets by a worker, threaded by references and the subject token, never twice."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests import factories
from tests.channels.email.support import (
    ADDRESS,
    corpus_names,
    customer_mail,
    eml,
    mailbox,
    post_raw,
    reply,
    signature,
)
from unidesk.channels.models import InboundRecord
from unidesk.core.actor import Actor
from unidesk.customers.services import customer_for_identity
from unidesk.tickets.models import Attachment, Message, Status, Ticket
from unidesk.tickets.services import participant_add, ticket_update

pytestmark = pytest.mark.django_db


def ingest_cli(account, *raws: bytes, tmp_path) -> list[dict]:
    paths = []
    for index, raw in enumerate(raws):
        path = tmp_path / f"m{index}.eml"
        path.write_bytes(raw)
        paths.append(str(path))
    out = StringIO()
    call_command("mail", "ingest", *paths, "--mailbox", account.key, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_raw_message_is_stored_answered_and_becomes_a_ticket(run_tasks) -> None:
    account = mailbox()
    response = post_raw(account, customer_mail())

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert Ticket.objects.count() == 0  # processed after the answer
    run_tasks()

    ticket = Ticket.objects.get()
    message = ticket.messages.get(direction="in")
    assert ticket.subject == "Where is my order?"
    assert ticket.channel == "email"
    assert ticket.group.name == "Support"
    assert ticket.requester.name == "Olga Petrova"
    assert ticket.requester_identity.value == "olga@client.example"
    assert message.external_id == "first@client.example"
    assert message.text.strip() == "Hello, order 4512 has not arrived."
    assert InboundRecord.objects.get().state == "done"


def test_a_signed_body_is_accepted_too(run_tasks) -> None:
    account = mailbox()
    raw = customer_mail()
    response = post_raw(account, raw, {"X-Unidesk-Signature": signature(raw)})
    run_tasks()

    assert response.status_code == 200
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"X-Unidesk-Signature": "sha256=00"}, 403),
        ({"Authorization": "Basic abc"}, 401),
    ],
)
def test_unauthenticated_raw_mail_is_refused_and_nothing_stored(headers, status) -> None:
    account = mailbox()
    response = post_raw(account, customer_mail(), headers)

    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert InboundRecord.objects.count() == 0


def test_an_unknown_mailbox_is_404_and_a_switched_off_one_too() -> None:
    account = mailbox()
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert post_raw(account, customer_mail()).status_code == 404
    account.key = "nope"
    assert post_raw(account, customer_mail()).status_code == 404


def test_the_same_message_twice_creates_nothing_new(run_tasks) -> None:
    account = mailbox()
    raw = customer_mail()
    post_raw(account, raw)
    again = post_raw(account, raw)
    # Another relay delivers the same Message-ID with different trace headers.
    relayed = post_raw(account, b"Received: from relay2.example\r\n" + raw)
    run_tasks()

    assert again.json() == {"ok": True, "duplicate": True}
    assert relayed.status_code == 200
    assert Message.objects.filter(direction="in").count() == 1
    assert Ticket.objects.count() == 1


def test_garbage_is_kept_and_marked_not_lost(run_tasks) -> None:
    account = mailbox()
    response = post_raw(account, b"\x00\x01 this is not mail at all")
    run_tasks()

    assert response.status_code == 200
    record = InboundRecord.objects.get()
    assert record.state == "unparseable"
    assert "Not an email message" in record.error
    assert Ticket.objects.count() == 0


def test_a_reply_threads_by_references_to_our_outgoing_message(run_tasks, sink) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail())
    run_tasks()
    ticket = Ticket.objects.get()
    ours = reply(ticket, text="Your parcel is on its way.")
    run_tasks()
    ours.refresh_from_db()

    post_raw(account, customer_mail(subject="Re: Where is my order?", message_id="second@c.example",
                                    in_reply_to=ours.external_id))  # fmt: skip
    run_tasks()

    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(direction="in").count() == 2


def test_the_subject_token_threads_only_for_participants(run_tasks) -> None:
    account = mailbox()
    post_raw(account, customer_mail())
    run_tasks()
    ticket = Ticket.objects.get()
    token = f"Re: Where is my order? [#{ticket.number}]"

    # The requester, from a client that dropped the references.
    post_raw(account, customer_mail(subject=token, message_id="m2@client.example"))
    # Someone copied on the ticket.
    colleague = customer_for_identity(kind="email", value="colleague@client.example").identity
    participant_add(ticket=ticket, identity=colleague, actor=Actor.system())
    post_raw(account, customer_mail(sender="colleague@client.example", name="Colleague",
                                    subject=token, message_id="m3@client.example"))  # fmt: skip
    # A stranger who knows the number.
    post_raw(account, customer_mail(sender="stranger@evil.example", name="Stranger",
                                    subject=token, message_id="m4@evil.example"))  # fmt: skip
    run_tasks()

    assert ticket.messages.filter(direction="in").count() == 3
    stranger_ticket = Ticket.objects.exclude(pk=ticket.pk).get()
    assert stranger_ticket.requester_identity.value == "stranger@evil.example"


def test_to_and_cc_addresses_become_copies_but_not_our_mailboxes(run_tasks) -> None:
    account = mailbox()
    other = mailbox("Billing", address="billing@shop.example", aliases="")
    post_raw(account, customer_mail(
        to=f"{ADDRESS}, boss@client.example", cc="billing@shop.example, sales@shop.example, "
        "Assistant <assistant@client.example>",
    ))  # fmt: skip
    run_tasks()

    ticket = Ticket.objects.get()
    copies = sorted(ticket.participants.values_list("identity__value", "role"))
    assert copies == [("assistant@client.example", "cc"), ("boss@client.example", "cc")]
    assert other.pk != account.pk


def test_a_bounce_marks_our_message_failed_and_opens_nothing(run_tasks, sink) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail())
    run_tasks()
    ticket = Ticket.objects.get()
    ours = reply(ticket, text="Answer")
    run_tasks()
    ours.refresh_from_db()
    assert ours.delivery_status == "sent"
    bounce = eml("dsn_bounce_5_1_1").replace(
        b"0d6f2a4e-5b1c-4f7e-9a3d-2c8b7e6f5a41@shop.example", ours.external_id.encode()
    )

    post_raw(account, bounce)
    post_raw(account, eml("dsn_delayed"))
    run_tasks()

    ours.refresh_from_db()
    assert ours.delivery_status == "failed"
    assert "5.1.1" in ours.delivery_error
    assert "User unknown" in ours.delivery_error
    assert Ticket.objects.count() == 1
    assert set(InboundRecord.objects.values_list("state", flat=True)) == {"done"}


def test_a_vacation_reply_is_kept_without_reopening(run_tasks, sink) -> None:
    account = mailbox(**sink.settings)
    post_raw(account, customer_mail())
    run_tasks()
    ticket = Ticket.objects.get()
    ours = reply(ticket, text="Solved, see you")
    run_tasks()
    ours.refresh_from_db()
    ticket_update(ticket=ticket, actor=Actor.system(), status=Status.SOLVED)

    post_raw(account, customer_mail(
        subject="Automatic reply: Solved", message_id="oof@client.example",
        in_reply_to=ours.external_id, headers={"Auto-Submitted": "auto-replied"},
        text="I am on holiday.",
    ))  # fmt: skip
    run_tasks()

    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    vacation = ticket.messages.get(external_id="oof@client.example")
    assert vacation.metadata["email"]["automatic"] == "Auto-Submitted: auto-replied"


def test_hostile_html_is_sanitised_when_stored(run_tasks, tmp_path) -> None:
    account = mailbox()
    ingest_cli(account, eml("hostile_script_html"), tmp_path=tmp_path)

    message = Message.objects.get(direction="in")
    for bad in ("<script", "javascript:", "onerror", "onload", "<iframe", "<form", "<style"):
        assert bad not in message.html.lower()
    assert 'href="https://shop.example/orders/1"' in message.html
    assert "alert" not in message.text


def test_an_oversized_attachment_is_named_with_the_reason(run_tasks, tmp_path, settings) -> None:
    settings.MAX_ATTACHMENT_BYTES = 4096
    account = mailbox()
    ingest_cli(account, eml("large_attachment"), tmp_path=tmp_path)

    message = Message.objects.get(direction="in")
    missing = message.attachments.get(filename="layout.zip")
    assert not missing.is_kept
    assert "16.0" in missing.error
    assert "limit" in missing.error
    assert missing.size == 16384
    kept = message.attachments.get(filename="note.txt")
    assert kept.file.read() == b"small note"


def test_inline_images_are_stored_with_their_content_id(run_tasks, tmp_path) -> None:
    account = mailbox()
    ingest_cli(account, eml("gmail_inline_image"), tmp_path=tmp_path)

    image = Attachment.objects.get(message__direction="in")
    assert image.is_inline
    assert image.content_id == "ii_photo1"
    assert 'src="cid:ii_photo1"' in image.message.html


def test_the_cli_takes_the_whole_corpus_without_an_error(tmp_path) -> None:
    account = mailbox()
    out = StringIO()
    call_command("mail", "ingest", str(eml.__globals__["FIXTURES"]), "--mailbox", account.name,
                 stdout=out)  # fmt: skip
    lines = [json.loads(line) for line in out.getvalue().splitlines()]

    assert len(lines) == len(corpus_names())
    assert {line["state"] for line in lines} == {"done"}
    # Bounces and the delayed notice open no tickets; everything else is a message.
    assert Message.objects.filter(direction="in").count() == len(corpus_names()) - 3


def test_the_cli_explains_an_unknown_mailbox(tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(customer_mail())
    with pytest.raises(CommandError, match="No email channel"):
        call_command("mail", "ingest", str(path), "--mailbox", "nope")


def test_a_reply_after_the_reopen_window_starts_a_new_ticket(run_tasks) -> None:
    account = mailbox()
    post_raw(account, customer_mail())
    run_tasks()
    ticket = Ticket.objects.get()
    ticket_update(ticket=ticket, actor=Actor.system(), status=Status.SOLVED)
    later = timezone.now() + timedelta(days=30)
    with time_machine.travel(later):
        post_raw(account, customer_mail(subject=f"Re: [#{ticket.number}]",
                                        message_id="late@client.example",
                                        in_reply_to="first@client.example"))  # fmt: skip
        run_tasks()

    assert Ticket.objects.count() == 2


def test_our_own_reply_arriving_back_in_the_mailbox_creates_nothing(run_tasks, sink) -> None:
    account = mailbox(**sink.settings, acknowledge="off")
    post_raw(account, customer_mail(cc=ADDRESS))
    run_tasks()
    ticket = Ticket.objects.get()
    ours = reply(ticket, text="Answer to everyone.")
    run_tasks()

    # The customer's server copies our reply back to us (we were in copy).
    post_raw(account, sink.received[0].data)
    run_tasks()

    assert Ticket.objects.count() == 1
    assert list(ticket.messages.values_list("direction", flat=True)) == ["in", "out"]
    ours.refresh_from_db()
    assert ours.delivery_status == "sent"


def test_the_text_version_of_html_and_windows1251_mail_is_searchable(
    run_tasks, tmp_path, api_client
) -> None:
    account = mailbox(acknowledge="off")
    ingest_cli(account, eml("html_only"), eml("1c_windows1251_8bit"), tmp_path=tmp_path)
    client = api_client(factories.agent(role="supervisor"))

    def found(q: str) -> list[str]:
        items = client.get("/api/v1/tickets", {"q": q}).json()["items"]
        return [t["subject"] for t in items]

    assert found("parcel") == ["HTML only"]
    assert found("сверки") == ["Акт сверки за ноябрь"]
    assert found("ноябрю") == ["Акт сверки за ноябрь"]  # Russian stems
