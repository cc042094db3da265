"""Telegram updates arriving by webhook: verified, stored, answered at once, then turned
into tickets by a worker (files fetched from the fake Bot API over HTTP)."""

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.channels.support import fixture, fixture_bytes, post_webhook
from tests.channels.telegram.fake import SECRET_TOKEN, TOKEN
from tests.support.platform import Reply
from unidesk.channels.models import InboundRecord
from unidesk.customers.models import Identity
from unidesk.tickets.events import MessageEdited
from unidesk.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

SIGNED = {"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN}


def test_a_message_is_stored_answered_at_once_and_becomes_a_ticket(bot, run_tasks) -> None:
    response = post_webhook(bot, fixture_bytes("telegram", "text_message"), SIGNED)

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert Ticket.objects.count() == 0  # the work happens after the answer
    assert InboundRecord.objects.get().delivery_id == "update:815001"

    run_tasks()

    ticket = Ticket.objects.get()
    message = ticket.messages.get()
    assert message.text == "Здравствуйте! Заказ 4512 до сих пор не пришёл."
    assert message.external_id == "700100200:41"
    assert ticket.channel == "telegram"
    assert ticket.group.name == "Support"
    assert ticket.thread_key == "700100200"
    assert ticket.requester.name == "Ольга Петрова"
    assert Identity.objects.get(customer=ticket.requester).value == "700100200"
    assert message.metadata["telegram"]["username"] == "olga_p"
    assert InboundRecord.objects.get().state == "done"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"X-Telegram-Bot-Api-Secret-Token": "guess"}, 403)],
)
def test_a_webhook_without_the_secret_token_is_refused_and_nothing_stored(
    bot, run_tasks, headers, status
) -> None:
    response = post_webhook(bot, fixture_bytes("telegram", "text_message"), headers)

    assert response.status_code == status
    assert response.json()["error"]["code"] in {"unauthenticated", "forbidden"}
    assert InboundRecord.objects.count() == 0
    run_tasks()
    assert Ticket.objects.count() == 0


def test_an_unknown_channel_key_is_404_and_stores_nothing(bot) -> None:
    bot.key = "no-such-key"
    response = post_webhook(bot, fixture_bytes("telegram", "text_message"), SIGNED)

    assert response.status_code == 404
    assert InboundRecord.objects.count() == 0


def test_a_redelivered_update_creates_nothing(bot, run_tasks) -> None:
    body = fixture_bytes("telegram", "text_message")
    post_webhook(bot, body, SIGNED)
    run_tasks()

    again = post_webhook(bot, body, SIGNED)
    run_tasks()

    assert again.status_code == 200
    assert again.json() == {"ok": True, "duplicate": True}
    assert InboundRecord.objects.count() == 1
    assert Message.objects.count() == 1


def test_messages_of_one_chat_continue_one_ticket(bot, run_tasks) -> None:
    post_webhook(bot, fixture_bytes("telegram", "text_message"), SIGNED)
    post_webhook(bot, fixture_bytes("telegram", "voice"), SIGNED)
    run_tasks()

    ticket = Ticket.objects.get()
    assert ticket.messages.count() == 2


def test_a_photo_is_fetched_through_get_file_and_stored(bot, telegram, run_tasks) -> None:
    telegram.add_file("AgACAgIAAxkBAAIBa-large", b"\xff\xd8\xffJPEG", "photos/file_7.jpg")

    post_webhook(bot, fixture_bytes("telegram", "photo"), SIGNED)
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Коробка пришла мятая"
    attachment = message.attachments.get()
    assert attachment.filename == "photo_42.jpg"
    assert attachment.content_type == "image/jpeg"
    assert attachment.file.read() == b"\xff\xd8\xffJPEG"
    (get_file,) = telegram.sent("getFile")
    assert get_file["file_id"] == "AgACAgIAAxkBAAIBa-large"  # the largest size
    assert telegram.requests_to(r"^/file/bot.+/photos/file_7\.jpg$")


def test_a_document_keeps_its_name(bot, telegram, run_tasks) -> None:
    telegram.add_file("BQACAgIAAxkBAAIBb-doc", b"%PDF-1.4 ok", "documents/file_1.pdf")

    post_webhook(bot, fixture_bytes("telegram", "document"), SIGNED)
    run_tasks()

    message = Message.objects.get()
    assert message.text == "File: чек.pdf"
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("чек.pdf", "application/pdf")


def test_a_file_over_the_bot_limit_is_listed_with_a_readable_reason(
    bot, telegram, run_tasks
) -> None:
    post_webhook(bot, fixture_bytes("telegram", "large_document"), SIGNED)
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Видео распаковки"
    attachment = message.attachments.get()
    assert attachment.filename == "video-of-the-damage.mov"
    assert not attachment.is_kept
    assert attachment.error.startswith("the file is 70.0 MB; Telegram lets bots download")
    assert telegram.sent("getFile") == []  # not even asked for


def test_a_download_bigger_than_declared_is_cut_off(bot, telegram, run_tasks, settings) -> None:
    settings.MAX_ATTACHMENT_BYTES = 8
    telegram.add_file("BQACAgIAAxkBAAIBb-doc", b"0123456789abcdef", "documents/file_1.pdf")
    payload = fixture("telegram", "document")
    payload["message"]["document"]["file_size"] = 4  # the platform under-declares

    post_webhook(bot, payload, SIGNED)
    run_tasks()

    attachment = Attachment.objects.get()
    assert not attachment.is_kept
    assert "limit" in attachment.error


def test_a_voice_message_is_described_and_attached(bot, telegram, run_tasks) -> None:
    telegram.add_file("AwACAgIAAxkBAAIBd-voice", b"OggS-voice", "voice/file_3.oga")

    post_webhook(bot, fixture_bytes("telegram", "voice"), SIGNED)
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Voice message (0:07)"
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("voice_45.ogg", "audio/ogg")


def test_a_sticker_shows_its_emoji_and_picture(bot, telegram, run_tasks) -> None:
    telegram.add_file("CAACAgIAAxkBAAIBe-sticker", b"RIFFwebp", "stickers/file_9.webp")

    post_webhook(bot, fixture_bytes("telegram", "sticker"), SIGNED)
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Sticker 😀"
    assert message.attachments.get().content_type == "image/webp"


def test_a_platform_hiccup_while_fetching_a_file_is_retried_later(bot, telegram, run_tasks) -> None:
    telegram.add_file("BQACAgIAAxkBAAIBb-doc", b"%PDF", "documents/file_1.pdf")
    telegram.fail_next(r"/getFile$", Reply(502, b"Bad Gateway", content_type="text/html"))

    post_webhook(bot, fixture_bytes("telegram", "document"), SIGNED)
    run_tasks()

    record = InboundRecord.objects.get()
    assert record.state == "pending"
    assert "502" in record.error
    assert Message.objects.count() == 0

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        run_tasks()

    assert Message.objects.get().attachments.get().is_kept
    assert InboundRecord.objects.get().state == "done"


def test_when_a_file_never_arrives_the_message_is_kept_without_it(bot, telegram, run_tasks) -> None:
    telegram.fail_next(r"/getFile$", *[Reply(503, b"down", content_type="text/plain")] * 10)

    post_webhook(bot, fixture_bytes("telegram", "document"), SIGNED)
    moment = timezone.now()
    for _ in range(8):
        with time_machine.travel(moment):
            run_tasks()
        moment += timedelta(hours=1)

    attachment = Message.objects.get().attachments.get()
    assert "could not be downloaded" in attachment.error
    assert InboundRecord.objects.get().state == "done"


def test_an_edited_message_updates_the_text_and_keeps_the_history(
    bot, run_tasks, published
) -> None:
    post_webhook(bot, fixture_bytes("telegram", "text_message"), SIGNED)
    run_tasks()

    post_webhook(bot, fixture_bytes("telegram", "edited_message"), SIGNED)
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Здравствуйте! Заказ 4521 до сих пор не пришёл."
    (previous,) = message.metadata["edits"]
    assert previous["text"] == "Здравствуйте! Заказ 4512 до сих пор не пришёл."
    assert previous["edited_at"].startswith("2026-01-01T10:00:30")
    activity = message.ticket.activities.get(field="message_edited")
    assert "4512" in activity.old_value
    assert "4521" in activity.new_value
    assert any(isinstance(e, MessageEdited) for e in published)


def test_an_edit_of_a_message_we_never_saw_is_stored_as_that_message(bot, run_tasks) -> None:
    post_webhook(bot, fixture_bytes("telegram", "edited_message"), SIGNED)
    run_tasks()

    assert Message.objects.get().external_id == "700100200:41"


def test_a_button_press_arrives_as_a_message_with_the_button_data(bot, run_tasks) -> None:
    response = post_webhook(bot, fixture_bytes("telegram", "callback_query"), SIGNED)
    run_tasks()

    # The webhook answer stops the spinner on the customer's button.
    assert response.json() == {
        "method": "answerCallbackQuery", "callback_query_id": "4382bfdwdsb323b2d9",
    }  # fmt: skip
    message = Message.objects.get()
    assert message.metadata["button"] == "csat:5"
    assert message.text == "😀 5"
    assert message.ticket.thread_key == "700100200"


def test_updates_that_are_not_conversations_are_acknowledged_and_skipped(bot, run_tasks) -> None:
    post_webhook(bot, fixture_bytes("telegram", "group_member_update"), SIGNED)
    run_tasks()

    assert Ticket.objects.count() == 0
    assert InboundRecord.objects.get().state == "done"


def test_an_unreadable_payload_is_kept_and_marked(bot, run_tasks) -> None:
    response = post_webhook(bot, b"this is not json", SIGNED)
    run_tasks()

    assert response.status_code == 200
    record = InboundRecord.objects.get()
    assert record.state == "unparseable"
    assert "not JSON" in record.error
    assert bytes(record.body) == b"this is not json"


def test_the_bot_token_never_reaches_logs_or_agents(bot, telegram, run_tasks, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    telegram.fail_next(r"/getFile$", Reply(500, b"oops", content_type="text/plain"))
    payload = fixture("telegram", "document")

    post_webhook(bot, payload, SIGNED)
    run_tasks()

    record = InboundRecord.objects.get()
    assert TOKEN not in record.error
    assert TOKEN not in caplog.text
    assert TOKEN not in json.dumps(bot.settings)
