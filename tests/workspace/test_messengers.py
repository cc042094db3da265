"""What agents see and do on messenger tickets in the workspace: WhatsApp's 24-hour window
and templates, public wall threads moved to private messages, edited messages, calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests import factories
from unidesk.channels.base import IdentityRef, InboundEdit, InboundMessage
from unidesk.channels.ingest import ingest_events
from unidesk.channels.models import Delivery
from unidesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

TEMPLATES = '[{"name": "order_update", "language": "ru", "text": "Заказ {{1}}: {{2}}."}]'


@pytest.fixture
def whatsapp_ticket() -> Ticket:
    account, _ = factories.channel(
        "whatsapp", group_name="General", settings={"phone_number_id": "1", "templates": TEMPLATES}
    )
    return factories.conversation(
        account, identity=("whatsapp", "79161234567"), thread_key="79161234567", text="Где заказ?"
    ).ticket


@pytest.fixture
def wall_ticket() -> Ticket:
    account, _ = factories.channel("vk", group_name="General", settings={"group_id": "218374"})
    return factories.conversation(
        account, identity=("vk", "51230002"), thread_key="wall:-218374_934:51230002",
        external_id="comment:-218374_934_5511", is_public=True, text="Где мой возврат?",
    ).ticket  # fmt: skip


def page(client: Client, ticket: Ticket) -> str:
    response = client.get(f"/t/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_within_the_window_the_agent_replies_freely(agent_client, whatsapp_ticket) -> None:
    html = page(agent_client, whatsapp_ticket)

    assert "Free text reaches the customer until" in html
    assert 'name="kind" value="reply" checked' in html
    assert "Send an approved template" in html  # available, folded away


def test_after_24_hours_the_composer_offers_templates_instead(
    agent_client, whatsapp_ticket
) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        html = page(agent_client, whatsapp_ticket)
        refused = agent_client.post(
            f"/t/{whatsapp_ticket.number}/reply/", {"kind": "reply", "text": "Hello?"}
        )
        sent = agent_client.post(
            f"/t/{whatsapp_ticket.number}/template/",
            {"template": "order_update|ru", "parameters": "7781\nв пути"},
        )

    assert "only delivers approved templates" in html
    assert 'value="reply" disabled' in html
    assert '<details id="reply-templates" class="composer-extra" open>' in html
    assert "order_update (ru)" in html
    assert refused.status_code == 422
    assert "only delivers approved templates" in refused.content.decode()
    assert "Hello?" in refused.content.decode()  # the draft is kept
    assert sent.status_code == 302
    message = Message.objects.get(direction="out")
    assert message.text == "Заказ 7781: в пути."
    assert message.metadata["template"]["parameters"] == ["7781", "в пути"]
    assert Delivery.objects.count() == 1
    assert "Template" in page(agent_client, whatsapp_ticket)


def test_a_public_thread_warns_and_can_move_to_private_messages(agent_client, wall_ticket) -> None:
    html = page(agent_client, wall_ticket)
    assert "This answer will be public" in html
    assert "Continue in private messages" in html

    response = agent_client.post(
        f"/t/{wall_ticket.number}/continue-privately/",
        {"text": "Напишите номер заказа", "public_reply": "Ответили в личных сообщениях."},
    )

    private = Ticket.objects.exclude(pk=wall_ticket.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/t/{private.number}/"
    assert not private.is_public
    private_page = page(agent_client, private)
    assert "Напишите номер заказа" in private_page
    assert (
        f"moved the conversation here from the public thread #{wall_ticket.number}" in private_page
    )
    assert "continued this conversation in private messages" in page(agent_client, wall_ticket)


def test_moving_to_private_answers_htmx_with_a_redirect(agent_client, wall_ticket) -> None:
    response = agent_client.post(
        f"/t/{wall_ticket.number}/continue-privately/", {"text": "Hi"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/t/")


def test_an_empty_private_message_is_refused(agent_client, wall_ticket) -> None:
    response = agent_client.post(f"/t/{wall_ticket.number}/continue-privately/", {"text": " "})

    assert response.status_code == 422
    assert "Write the first private message." in response.content.decode()
    assert Ticket.objects.count() == 1


def test_agents_of_other_groups_cannot_send_or_move(
    client, outsider, whatsapp_ticket, wall_ticket
) -> None:
    client.force_login(outsider)

    sent = client.post(f"/t/{whatsapp_ticket.number}/template/", {"template": "order_update|ru"})
    moved = client.post(f"/t/{wall_ticket.number}/continue-privately/", {"text": "Hi"})

    assert (sent.status_code, moved.status_code) == (404, 404)
    assert Delivery.objects.count() == 0
    assert Ticket.objects.count() == 2


def test_an_edited_message_shows_its_earlier_version(agent_client) -> None:
    account, _ = factories.channel("telegram", group_name="General")
    first = InboundMessage(
        external_id="1:41", identity=IdentityRef("telegram", "1"), text="Заказ 4512", thread_key="1"
    )
    ingest_events(account, [first])
    edited = InboundMessage(
        external_id="1:41", identity=IdentityRef("telegram", "1"), text="Заказ 4521", thread_key="1"
    )
    ingest_events(account, [InboundEdit(message=edited)])

    html = page(agent_client, Ticket.objects.get())

    assert "Заказ 4521" in html
    assert "Edited by the customer (one earlier version)" in html
    assert "Заказ 4512" in html
    assert "edited a message" in html


def test_a_call_shows_as_a_call_with_its_recording(agent_client) -> None:
    account, secret = factories.channel("phone", group_name="General")
    agent_client.post(
        f"/api/v1/channels/phone/{account.key}/webhook",
        {"call_id": "c1", "direction": "inbound", "status": "answered", "caller": "+79161234567",
         "callee": "+78005553535", "recording_url": "https://pbx.example.com/r/c1.mp3"},
        content_type="application/json", headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip
    from unidesk.core.worker import Worker

    Worker(worker_id="t").drain()

    html = page(agent_client, Ticket.objects.get())
    assert '<span class="message-kind message-call">Call</span>' in html
    assert 'href="https://pbx.example.com/r/c1.mp3"' in html
    assert "answered by calling back" in html  # the composer says how to answer


def test_administrators_see_received_webhooks_and_process_failed_ones_again(
    client, agent, run_tasks
) -> None:
    from django.urls import reverse

    from unidesk.channels.models import InboundRecord

    account, secret = factories.channel("phone", group_name="General")
    client.post(
        f"/api/v1/channels/phone/{account.key}/webhook", b"not json",
        content_type="application/json", headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip
    run_tasks()
    record = InboundRecord.objects.get()
    assert record.state == "unparseable"

    client.force_login(agent)
    assert client.get(reverse("admin:unidesk_channels_inboundrecord_changelist")).status_code == 302

    client.force_login(factories.agent(role="admin"))
    listing = client.get(reverse("admin:unidesk_channels_inboundrecord_changelist"))
    assert "The call event is not JSON." in listing.content.decode()
    detail = client.get(reverse("admin:unidesk_channels_inboundrecord_change", args=[record.pk]))
    assert "not json" in detail.content.decode()
    client.post(
        reverse("admin:unidesk_channels_inboundrecord_changelist"),
        {"action": "process_again", "_selected_action": [record.pk]},
    )
    record.refresh_from_db()
    assert (record.state, record.attempts) == ("pending", 0)
    run_tasks()
    assert InboundRecord.objects.get().state == "unparseable"  # still not JSON, still kept
