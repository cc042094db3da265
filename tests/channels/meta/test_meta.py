"""Facebook Messenger and Instagram Direct: signed webhooks, messages with attachments,
echoes of the page's own messages, replies through the Send API."""

import pytest
from django.test import Client

from tests.channels.meta.fake import APP_SECRET, VERIFY_TOKEN, signed_headers
from tests.channels.meta_graph import expired_token
from tests.channels.support import fixture_bytes, post_webhook, queue_outbound, webhook_url
from unidesk.channels.models import Delivery, InboundRecord
from unidesk.channels.services import reply_send
from unidesk.tickets.models import Message, Ticket
from unidesk.tickets.services import NewAttachment

pytestmark = pytest.mark.django_db


def deliver(account, meta, name: str, kind: str | None = None):
    body = meta.cdn(fixture_bytes(kind or account.kind, name))
    return post_webhook(account, body, signed_headers({"app_secret": APP_SECRET}, body))


# --- Messenger ---------------------------------------------------------------------------------


def test_the_subscription_handshake(page) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "CHALLENGE_ACCEPTED",
    }

    assert Client().get(webhook_url(page), query).content == b"CHALLENGE_ACCEPTED"
    assert Client().get(webhook_url(page), {**query, "hub.verify_token": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), ({"X-Hub-Signature-256": "sha256=00"}, 403)]
)
def test_unsigned_webhooks_are_refused(page, headers, status) -> None:
    response = post_webhook(page, fixture_bytes("facebook", "message_text"), headers)

    assert response.status_code == status
    assert InboundRecord.objects.count() == 0


def test_a_message_becomes_a_ticket_with_the_senders_name(page, meta, run_tasks) -> None:
    response = deliver(page, meta, "message_text")
    run_tasks()

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "facebook"
    assert ticket.requester.name == "Maria Lopez"
    assert ticket.requester.identities.get().value == "6843210987654321"
    assert ticket.messages.get().text.startswith("Hi! Can I change the delivery address")


def test_an_image_is_fetched_from_its_link(page, meta, run_tasks) -> None:
    meta.files["v/t1.15752-9/receipt.jpg"] = b"\xff\xd8receipt"

    deliver(page, meta, "message_image")
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Photo"
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.file.read()) == ("receipt.jpg", b"\xff\xd8receipt")


def test_an_expired_attachment_link_is_listed_with_the_reason(page, meta, run_tasks) -> None:
    deliver(page, meta, "message_image")  # the fake CDN has no such file any more
    run_tasks()

    attachment = Message.objects.get().attachments.get()
    assert not attachment.is_kept
    assert "no longer has the file (403)" in attachment.error


def test_quick_replies_and_postbacks_carry_the_button(page, meta, run_tasks) -> None:
    deliver(page, meta, "quick_reply")
    deliver(page, meta, "postback")
    run_tasks()

    quick, postback = Message.objects.order_by("id")
    assert (quick.text, quick.metadata["button"]) == ("Yes, solved", "solved:yes")
    assert (postback.text, postback.metadata["button"]) == ("Talk to a person", "handover")


def test_a_message_a_colleague_sent_from_the_page_inbox_is_shown_as_outgoing(
    page, meta, run_tasks
) -> None:
    deliver(page, meta, "message_text")
    deliver(page, meta, "echo_from_page_inbox")
    run_tasks()

    incoming, echo = Ticket.objects.get().messages.order_by("id")
    assert incoming.direction == "in"
    assert echo.direction == "out"
    assert echo.delivery_status == "sent"
    assert echo.author_name == "Facebook Messenger inbox"
    assert Delivery.objects.count() == 0


def test_the_echo_of_our_own_reply_is_not_ingested_again(page, meta, agent, run_tasks) -> None:
    deliver(page, meta, "message_text")
    run_tasks()
    reply_send(ticket=Ticket.objects.get(), author=agent, text="Sure, send me the new address")
    run_tasks()

    deliver(page, meta, "echo_from_unidesk")
    run_tasks()

    assert list(Message.objects.values_list("direction", flat=True)) == ["in", "out"]
    assert InboundRecord.objects.filter(state="done").count() == 2


def test_an_edit_updates_the_message(page, meta, run_tasks) -> None:
    deliver(page, meta, "message_text")
    deliver(page, meta, "message_edit")
    run_tasks()

    message = Message.objects.get()
    assert message.text.endswith("order 5502?")
    assert message.metadata["edits"][0]["text"].endswith("order 5520?")


def test_messages_for_another_page_are_ignored(page, meta, run_tasks) -> None:
    deliver(page, meta, "other_page")
    run_tasks()

    assert Ticket.objects.count() == 0


def test_a_reply_goes_through_the_send_api_marked_as_ours(page, meta, agent, run_tasks) -> None:
    deliver(page, meta, "message_text")
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Of course!")
    run_tasks()

    (sent,) = meta.sent()
    delivery = Delivery.objects.get()
    assert sent == {
        "recipient": {"id": "6843210987654321"}, "messaging_type": "RESPONSE",
        "message": {"text": "Of course!", "metadata": f"unidesk:{delivery.idempotency_key}"},
    }  # fmt: skip
    message = Message.objects.get(pk=reply.pk)
    assert (message.delivery_status, message.external_id) == ("sent", "m_OUT1")

    deliver(page, meta, "delivery")
    run_tasks()
    assert Message.objects.get(pk=reply.pk).delivery_status == "delivered"


def test_a_file_is_uploaded_with_the_message(page, meta, agent, run_tasks) -> None:
    deliver(page, meta, "message_text")
    run_tasks()
    reply_send(
        ticket=Ticket.objects.get(), author=agent, text="",
        attachments=[NewAttachment("label.png", b"\x89PNG", "image/png")],
    )  # fmt: skip
    run_tasks()

    (upload,) = meta.sent()
    assert upload["message"]["attachment"]["type"] == "image"
    assert upload["filedata"] == ("label.png", b"\x89PNG", "image/png")


def test_buttons_become_quick_replies(page, meta, run_tasks) -> None:
    deliver(page, meta, "message_text")
    run_tasks()
    queue_outbound(Ticket.objects.get(), text="Solved?", metadata={"buttons": [[
        {"text": "Yes", "data": "solved:yes"}, {"text": "No", "data": "solved:no"}]]})  # fmt: skip
    run_tasks()

    (sent,) = meta.sent()
    assert sent["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Yes", "payload": "solved:yes"},
        {"content_type": "text", "title": "No", "payload": "solved:no"},
    ]


def test_an_expired_page_token_is_a_readable_failure(page, meta, agent, run_tasks) -> None:
    deliver(page, meta, "message_text")
    run_tasks()
    meta.fail_next(r"/messages$", expired_token())
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert "Facebook Messenger rejected the access token (error 190/463)" in message.delivery_error


def test_outside_the_messaging_window_the_failure_says_so(page, meta, agent, run_tasks) -> None:
    deliver(page, meta, "message_text")
    run_tasks()
    ticket = Ticket.objects.get()
    ticket.thread_key = "outside-window"
    ticket.requester_identity = None
    ticket.save()
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()

    assert "outside the messaging window" in Message.objects.get(pk=reply.pk).delivery_error


# --- Instagram -------------------------------------------------------------------------------


def test_an_instagram_message_becomes_a_ticket(instagram, meta, run_tasks) -> None:
    deliver(instagram, meta, "message_text")
    run_tasks()

    ticket = Ticket.objects.get()
    assert ticket.channel == "instagram"
    assert ticket.requester.name == "Катя Орлова"
    assert ticket.requester.identities.get().kind == "instagram"


def test_instagram_attachments_and_story_mentions(instagram, meta, run_tasks) -> None:
    meta.files["ig_messaging_cdn/?asset_id=17901"] = b"\xff\xd8dress"

    deliver(instagram, meta, "message_image")
    deliver(instagram, meta, "story_mention")
    run_tasks()

    image, story = Message.objects.order_by("id")
    assert image.attachments.get().file.read() == b"\xff\xd8dress"
    assert story.text.startswith("Shared: ")


def test_an_instagram_echo_from_the_app_is_outgoing_and_our_reply_read(
    instagram, meta, agent, run_tasks
) -> None:
    deliver(instagram, meta, "message_text")
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Есть, отложить?")
    run_tasks()
    assert Message.objects.get(pk=reply.pk).external_id == "m_OUT1"

    deliver(instagram, meta, "echo")
    read = fixture_bytes("instagram", "read").replace(b"aWdfOUT1", b"m_OUT1")
    post_webhook(instagram, read, signed_headers({"app_secret": APP_SECRET}, read))
    run_tasks()

    assert Message.objects.filter(direction="out").count() == 2
    assert Message.objects.get(external_id="aWdfECHO").direction == "out"
    assert Message.objects.get(pk=reply.pk).delivery_status == "read"


def test_unsupported_instagram_messages_are_shown_as_such(instagram, meta, run_tasks) -> None:
    deliver(instagram, meta, "unsupported")
    run_tasks()

    assert "does not share with apps" in Message.objects.get().text


def test_instagram_refuses_files_readably(instagram, meta, agent, run_tasks) -> None:
    deliver(instagram, meta, "message_text")
    run_tasks()
    reply = reply_send(
        ticket=Ticket.objects.get(), author=agent, text="Фото",
        attachments=[NewAttachment("dress.jpg", b"\xff\xd8", "image/jpeg")],
    )  # fmt: skip
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert "Instagram accepts files only as a public link" in message.delivery_error
    assert meta.sent() == []  # not even the text went out


def test_a_busy_graph_api_is_retried_after_its_retry_after(page, meta, agent, run_tasks) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from tests.support.platform import Reply

    deliver(page, meta, "message_text")
    run_tasks()
    limited = {"message": "Calls to this api have exceeded the rate limit.", "code": 613}
    meta.fail_next(r"/messages$", Reply(429, {"error": limited}, headers={"Retry-After": "300"}))
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()

    delivery = Delivery.objects.get()
    assert Message.objects.get(pk=reply.pk).delivery_status == "queued"
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=299)
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        run_tasks()
    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"
