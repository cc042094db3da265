"""Replies through the Cloud API, the 24-hour window and approved templates."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.channels.meta_graph import expired_token, rate_limited
from tests.channels.support import fixture_bytes, post_webhook, queue_outbound
from tests.channels.whatsapp.conftest import FIXTURE_TIME
from tests.channels.whatsapp.fake import APP_SECRET, signed_headers
from unidesk.channels.composer import reply_options
from unidesk.channels.models import Delivery
from unidesk.channels.services import reply_send, reply_send_template
from unidesk.channels.whatsapp.selectors import customer_service_window
from unidesk.core.errors import ValidationFailed
from unidesk.tickets.models import Message, Ticket
from unidesk.tickets.services import NewAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(number, run_tasks) -> Ticket:
    body = fixture_bytes("whatsapp", "text")
    post_webhook(number, body, signed_headers({"app_secret": APP_SECRET}, body))
    run_tasks()
    return Ticket.objects.get()


def test_a_reply_is_sent_to_the_customers_number(ticket, graph, agent, run_tasks) -> None:
    reply = reply_send(ticket=ticket, author=agent, text="Заказ 7781 передан курьеру.")
    run_tasks()

    (sent,) = graph.sent()
    assert sent == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "79161234567",
        "type": "text", "text": {"body": "Заказ 7781 передан курьеру.", "preview_url": True},
    }  # fmt: skip
    message = Message.objects.get(pk=reply.pk)
    assert (message.delivery_status, message.external_id) == ("sent", "wamid.OUT1")


def test_an_attachment_is_uploaded_then_sent_with_the_text_as_caption(
    ticket, graph, agent, run_tasks
) -> None:
    reply_send(
        ticket=ticket, author=agent, text="Накладная",
        attachments=[NewAttachment("waybill.pdf", b"%PDF-1.4", "application/pdf")],
    )  # fmt: skip
    run_tasks()

    (upload,) = graph.requests_to(r"/media$")
    assert upload.form()["file"] == ("waybill.pdf", b"%PDF-1.4", "application/pdf")
    (sent,) = graph.sent()
    assert sent["type"] == "document"
    assert sent["document"] == {"id": "up1", "caption": "Накладная", "filename": "waybill.pdf"}


def test_buttons_become_reply_buttons_or_a_list(ticket, graph, run_tasks) -> None:
    queue_outbound(ticket, text="Всё решилось?", metadata={"buttons": [[
        {"text": "Да", "data": "yes"}, {"text": "Нет", "data": "no"}]]})  # fmt: skip
    queue_outbound(ticket, text="Оцените нас", metadata={"buttons": [[
        {"text": str(n), "data": f"csat:{n}"} for n in range(1, 6)]]})  # fmt: skip
    run_tasks()

    buttons, rows = (s["interactive"] for s in graph.sent())
    assert buttons["type"] == "button"
    assert buttons["action"]["buttons"][0] == {
        "type": "reply",
        "reply": {"id": "yes", "title": "Да"},
    }
    assert rows["type"] == "list"
    assert [r["id"] for r in rows["action"]["sections"][0]["rows"]] == [
        "csat:1", "csat:2", "csat:3", "csat:4", "csat:5",
    ]  # fmt: skip


def test_an_expired_token_fails_with_a_readable_reason(ticket, graph, agent, run_tasks) -> None:
    graph.fail_next(r"/messages$", expired_token())
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert message.delivery_error.startswith("WhatsApp rejected the access token (error 190/463)")
    assert "Generate a new token" in message.delivery_error


def test_rate_limits_are_retried(ticket, graph, agent, run_tasks) -> None:
    graph.fail_next(r"/messages$", rate_limited())
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()
    assert Message.objects.get(pk=reply.pk).delivery_status == "queued"

    with time_machine.travel(Delivery.objects.get().next_attempt_at + timedelta(seconds=1)):
        run_tasks()

    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"


def test_the_window_is_open_for_24_hours_after_the_customers_last_message(ticket) -> None:
    window = customer_service_window(ticket)

    assert window.is_open
    assert window.closes_at == FIXTURE_TIME - timedelta(minutes=30) + timedelta(hours=24)
    with time_machine.travel(window.closes_at + timedelta(seconds=1)):
        assert not customer_service_window(ticket).is_open


def test_outside_the_window_free_text_is_refused_and_templates_offered(
    ticket, graph, agent
) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        options = reply_options(ticket)
        with pytest.raises(ValidationFailed) as refused:
            reply_send(ticket=ticket, author=agent, text="Are you still there?")

    assert not options.free_text
    assert [(t.name, t.language) for t in options.templates] == [
        ("order_update", "ru"), ("hello_world", "en_US"),
    ]  # fmt: skip
    assert "only delivers approved templates" in refused.value.message
    assert refused.value.fields == {"text": "window_closed"}
    assert Message.objects.filter(direction="out").count() == 0


def test_an_approved_template_can_be_sent_after_the_window(ticket, graph, agent, run_tasks) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        message = reply_send_template(
            ticket=ticket, author=agent, name="order_update", parameters=["7781", "в пути"]
        )
        run_tasks()

    assert message.text == "Здравствуйте! Статус заказа 7781: в пути."
    (sent,) = graph.sent()
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": "order_update",
        "language": {"code": "ru"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "7781"}, {"type": "text", "text": "в пути"}]}],
    }  # fmt: skip
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"


def test_an_unknown_template_is_refused_with_the_known_ones(ticket, agent) -> None:
    with pytest.raises(ValidationFailed, match="order_update \\(ru\\), hello_world \\(en_US\\)"):
        reply_send_template(ticket=ticket, author=agent, name="promo")


def test_a_new_message_from_the_customer_reopens_the_window(number, ticket, agent, run_tasks):
    later = timezone.now() + timedelta(days=3)
    body = fixture_bytes("whatsapp", "location").replace(
        b"1767261900", str(int(later.timestamp())).encode()
    )
    with time_machine.travel(later):
        post_webhook(number, body, signed_headers({"app_secret": APP_SECRET}, body))
        run_tasks()
        assert reply_options(Ticket.objects.get()).free_text
