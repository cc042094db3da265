"""Agent replies leave through the outbox to the fake Bot API over real HTTP."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.channels.support import fixture, fixture_bytes, post_webhook, queue_outbound
from tests.channels.telegram.fake import SECRET_TOKEN, too_many_requests
from tests.support.platform import Reply
from unidesk.channels.models import Delivery
from unidesk.channels.services import reply_send
from unidesk.channels.telegram.adapter import split_text
from unidesk.tickets.models import Message, Ticket
from unidesk.tickets.services import NewAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(bot, run_tasks) -> Ticket:
    post_webhook(
        bot,
        fixture_bytes("telegram", "text_message"),
        {"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN},
    )
    run_tasks()
    return Ticket.objects.get()


def test_a_reply_is_sent_to_the_chat_and_marked_sent(ticket, telegram, agent, run_tasks) -> None:
    reply = reply_send(ticket=ticket, author=agent, text="Отправили повторно, трек RA123.")
    run_tasks()

    (sent,) = telegram.sent("sendMessage")
    assert sent == {"chat_id": "700100200", "text": "Отправили повторно, трек RA123."}
    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "sent"
    assert message.external_id == "700100200:500"


def test_attachments_go_as_photo_and_document_with_the_text_as_caption(
    ticket, telegram, agent, run_tasks
) -> None:
    reply_send(
        ticket=ticket, author=agent, text="Фото и накладная",
        attachments=[
            NewAttachment(filename="box.png", data=b"\x89PNG....", content_type="image/png"),
            NewAttachment(filename="waybill.pdf", data=b"%PDF-1.4", content_type="application/pdf"),
        ],
    )  # fmt: skip
    run_tasks()

    assert telegram.sent("sendMessage") == []
    (photo,) = telegram.sent("sendPhoto")
    (document,) = telegram.sent("sendDocument")
    assert photo["caption"] == "Фото и накладная"
    assert photo["photo"] == ("box.png", b"\x89PNG....", "image/png")
    assert document["document"][:2] == ("waybill.pdf", b"%PDF-1.4")
    assert "caption" not in document


def test_a_long_reply_is_split_into_messages_telegram_accepts(
    ticket, telegram, agent, run_tasks
) -> None:
    paragraph = "Строка ответа. " * 200  # 3000 characters
    reply_send(ticket=ticket, author=agent, text=f"{paragraph}\n{paragraph}")
    run_tasks()

    texts = [s["text"] for s in telegram.sent("sendMessage")]
    assert len(texts) == 2
    assert all(len(t) <= 4096 for t in texts)
    assert "".join(texts).replace(" ", "") == f"{paragraph}{paragraph}".replace(" ", "")


def test_split_text_never_exceeds_the_limit() -> None:
    assert split_text("a" * 10_000, 4096) == ["a" * 4096, "a" * 4096, "a" * 1808]
    assert split_text("short") == ["short"]


def test_buttons_in_metadata_become_an_inline_keyboard(ticket, telegram, run_tasks) -> None:
    queue_outbound(
            ticket,
            text="Как мы справились?",
            metadata={"buttons": [[{"text": "😞 1", "data": "csat:1"},
                                   {"text": "😀 5", "data": "csat:5"}],
                                  [{"text": "Оценить на сайте", "url": "https://shop.example/r"}]]},
        )  # fmt: skip
    run_tasks()

    (sent,) = telegram.sent("sendMessage")
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "😞 1", "callback_data": "csat:1"},
                {"text": "😀 5", "callback_data": "csat:5"},
            ],
            [{"text": "Оценить на сайте", "url": "https://shop.example/r"}],
        ]
    }


def test_too_many_requests_waits_as_long_as_telegram_asks(
    ticket, telegram, agent, run_tasks
) -> None:
    telegram.fail_next(r"/sendMessage$", too_many_requests(retry_after=120))
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    delivery = Delivery.objects.get()
    assert message.delivery_status == "queued"
    assert "retry after 120 s" in message.delivery_error
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=119)
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        assert run_tasks() == 0  # not before Telegram allows it

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        run_tasks()

    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"
    assert len(telegram.sent("sendMessage")) == 2


def test_a_server_error_is_retried(ticket, telegram, agent, run_tasks) -> None:
    telegram.fail_next(
        r"/sendMessage$", Reply(502, b"<html>Bad Gateway</html>", content_type="text/html")
    )
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()
    assert "Telegram answered 502" in Message.objects.get(pk=reply.pk).delivery_error

    with time_machine.travel(Delivery.objects.get().next_attempt_at + timedelta(seconds=1)):
        run_tasks()

    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"


def test_a_revoked_token_fails_at_once_with_a_readable_reason(
    ticket, telegram, agent, run_tasks
) -> None:
    telegram.token = "123456:a-new-token-after-revoke"
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert message.delivery_error == (
        "Telegram rejected the bot token (401 Unauthorized); check the channel's bot_token."
    )
    assert len(telegram.sent("sendMessage")) == 1


def test_a_customer_who_blocked_the_bot_is_a_permanent_failure(bot, telegram, agent, run_tasks):
    payload = fixture("telegram", "text_message")
    payload["message"]["chat"]["id"] = 403  # the fake answers 403 for this chat
    post_webhook(bot, payload, {"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN})
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert "bot was blocked by the user" in message.delivery_error
