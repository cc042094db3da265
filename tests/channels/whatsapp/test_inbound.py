"""WhatsApp Cloud API webhooks: signature, handshake, messages, media and statuses."""

import pytest
from django.test import Client

from tests.channels.support import fixture_bytes, post_webhook, webhook_url
from tests.channels.whatsapp.fake import APP_SECRET, VERIFY_TOKEN
from tests.channels.whatsapp.fake import signed_headers as signed_for
from tests.support.platform import Reply
from unidesk.channels.models import InboundRecord
from unidesk.channels.services import reply_send
from unidesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def signed(body: bytes) -> dict[str, str]:
    return signed_for({"app_secret": APP_SECRET}, body)


def deliver(number, name: str):
    body = fixture_bytes("whatsapp", name)
    return post_webhook(number, body, signed(body))


def test_the_verify_token_handshake_echoes_the_challenge(number) -> None:
    url = webhook_url(number)
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }

    ok = Client().get(url, query)
    wrong = Client().get(url, {**query, "hub.verify_token": "guess"})

    assert (ok.status_code, ok.content) == (200, b"1158201444")
    assert wrong.status_code == 403
    assert b"1158201444" not in wrong.content


def test_a_text_message_becomes_a_ticket_for_the_number(number, run_tasks) -> None:
    response = deliver(number, "text")
    run_tasks()

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "whatsapp"
    assert ticket.requester.name == "Иван Смирнов"
    assert ticket.requester.identities.get().value == "+79161234567"
    assert ticket.messages.get().text == "Добрый день, где мой заказ 7781?"


@pytest.mark.parametrize(
    ("header", "status"), [(None, 401), ("sha256=" + "0" * 64, 403), ("md5=abc", 403)]
)
def test_a_bad_signature_is_refused_and_nothing_stored(number, run_tasks, header, status) -> None:
    body = fixture_bytes("whatsapp", "text")
    headers = {"X-Hub-Signature-256": header} if header else {}

    response = post_webhook(number, body, headers)
    run_tasks()

    assert response.status_code == status
    assert InboundRecord.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(number) -> None:
    body = fixture_bytes("whatsapp", "text")
    tampered = body.replace(b"7781", b"9999")

    assert post_webhook(number, tampered, signed(body)).status_code == 403


def test_a_redelivered_webhook_creates_nothing(number, run_tasks) -> None:
    deliver(number, "text")
    again = deliver(number, "text")
    run_tasks()

    assert again.json() == {"ok": True, "duplicate": True}
    assert Message.objects.count() == 1


def test_media_is_downloaded_through_the_media_endpoint_with_the_token(
    number, graph, run_tasks
) -> None:
    graph.add_media("1003383421387256", b"\xff\xd8\xffparcel", "image/jpeg")

    deliver(number, "image")
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Вот так выглядит посылка"
    attachment = message.attachments.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.file.read() == b"\xff\xd8\xffparcel"
    assert attachment.filename.startswith("image_")
    assert attachment.filename.endswith(".jpg")
    download = graph.requests_to(r"^/download/")[0]
    assert download.headers["authorization"].startswith("Bearer ")


def test_a_document_keeps_its_name_and_a_voice_note_is_described(number, graph, run_tasks) -> None:
    graph.add_media("2044181966020930", b"%PDF-1.7", "application/pdf")
    graph.add_media("1527934211369877", b"OggS", "audio/ogg")

    deliver(number, "document")
    deliver(number, "voice")
    run_tasks()

    document, voice = Message.objects.order_by("id")
    assert document.attachments.get().filename == "invoice-7781.pdf"
    assert document.text == "File: invoice-7781.pdf"
    assert voice.text == "Voice message"
    assert voice.attachments.get().content_type == "audio/ogg"


def test_media_that_is_gone_is_listed_with_the_reason(number, graph, run_tasks) -> None:
    deliver(number, "document")  # the fake has no such media
    run_tasks()

    attachment = Message.objects.get().attachments.get()
    assert not attachment.is_kept
    assert "Media not found" in attachment.error


def test_a_reply_button_arrives_with_its_id(number, run_tasks) -> None:
    deliver(number, "interactive_reply")
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Отлично"
    assert message.metadata["button"] == "csat:5"


def test_a_location_is_readable(number, run_tasks) -> None:
    deliver(number, "location")
    run_tasks()

    assert Message.objects.get().text == "Location: 55.7558, 37.6173\nПункт выдачи Тверская, 1"


def test_reactions_and_other_numbers_create_nothing(number, run_tasks) -> None:
    deliver(number, "reaction")
    deliver(number, "other_number")
    run_tasks()

    assert Message.objects.count() == 0
    assert set(InboundRecord.objects.values_list("state", flat=True)) == {"done"}


def test_statuses_move_our_reply_forward_and_never_back(number, graph, agent, run_tasks) -> None:
    deliver(number, "text")
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Заказ в пути")
    run_tasks()
    assert Message.objects.get(pk=reply.pk).external_id == "wamid.OUT1"

    deliver(number, "status_read")
    deliver(number, "status_delivered")  # late
    run_tasks()

    assert Message.objects.get(pk=reply.pk).delivery_status == "read"


def test_a_failed_status_shows_why(number, graph, agent, run_tasks) -> None:
    deliver(number, "text")
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()

    deliver(number, "status_failed")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert "more than 24 hours have passed" in message.delivery_error


def test_a_download_failure_is_retried(number, graph, run_tasks) -> None:
    graph.add_media("1003383421387256", b"jpeg", "image/jpeg")
    unavailable = {
        "code": 2,
        "message": "Service temporarily unavailable",
        "type": "OAuthException",
    }
    graph.fail_next(r"^/v[\d.]+/1003383421387256$", Reply(500, {"error": unavailable}))

    deliver(number, "image")
    run_tasks()

    assert InboundRecord.objects.get().state == "pending"
    assert "busy" in InboundRecord.objects.get().error
