"""The API tells what can be sent on a ticket (WhatsApp's 24 hours, public answers),
sends templates, and moves public threads to private messages; only for agents who may
see the ticket."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from unidesk.channels.models import Delivery
from unidesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TEMPLATES = '[{"name": "order_update", "language": "ru", "text": "Заказ {{1}}: {{2}}."}]'


@pytest.fixture
def whatsapp_ticket() -> Ticket:
    account, _ = factories.channel(
        "whatsapp", group_name="General", settings={"phone_number_id": "1", "templates": TEMPLATES}
    )
    return factories.conversation(
        account, identity=("whatsapp", "79161234567"), thread_key="79161234567"
    ).ticket


@pytest.fixture
def wall_ticket() -> Ticket:
    account, _ = factories.channel("vk", group_name="General", settings={"group_id": "218374"})
    return factories.conversation(
        account, identity=("vk", "51230002"), thread_key="wall:-218374_934:51230002",
        external_id="comment:-218374_934_5511", is_public=True, text="Где мой возврат?",
    ).ticket  # fmt: skip


def test_within_the_window_free_text_is_allowed_and_templates_listed(
    api_client, agent, whatsapp_ticket
) -> None:
    response = api_client(agent).get(f"/api/v1/tickets/{whatsapp_ticket.pk}/reply-options")

    assert response.status_code == 200
    body = response.json()
    assert body["free_text"] is True
    assert body["window_closes_at"] is not None
    assert body["templates"] == [
        {"name": "order_update", "language": "ru", "text": "Заказ {{1}}: {{2}}."}
    ]
    assert body["public"] is False


def test_after_the_window_a_reply_is_refused_and_a_template_goes_out(
    api_client, agent, whatsapp_ticket
) -> None:
    client = api_client(agent)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        options = client.get(f"/api/v1/tickets/{whatsapp_ticket.pk}/reply-options").json()
        refused = client.post(
            f"/api/v1/tickets/{whatsapp_ticket.pk}/messages",
            {"text": "Hello?"}, content_type="application/json",
        )  # fmt: skip
        sent = client.post(
            f"/api/v1/tickets/{whatsapp_ticket.pk}/templates",
            {"name": "order_update", "parameters": ["7781", "в пути"]},
            content_type="application/json",
        )

    assert options["free_text"] is False
    assert "24 hours" in options["reason"]
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"text": "window_closed"}
    assert sent.status_code == 201
    assert sent.json()["text"] == "Заказ 7781: в пути."
    assert sent.json()["delivery_status"] == "queued"
    assert Delivery.objects.count() == 1


def test_an_unknown_template_is_a_422(api_client, agent, whatsapp_ticket) -> None:
    response = api_client(agent).post(
        f"/api/v1/tickets/{whatsapp_ticket.pk}/templates", {"name": "promo"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": "unknown_template"}


def test_a_public_ticket_warns_and_its_reply_is_public(api_client, agent, wall_ticket) -> None:
    client = api_client(agent)

    options = client.get(f"/api/v1/tickets/{wall_ticket.pk}/reply-options").json()
    reply = client.post(
        f"/api/v1/tickets/{wall_ticket.pk}/messages", {"text": "Проверяем"},
        content_type="application/json",
    )  # fmt: skip

    assert options["public"] is True
    assert "will be public" in options["warning"]
    assert options["can_continue_privately"] is True
    assert reply.status_code == 201
    assert reply.json()["is_public"] is True


def test_a_public_thread_continues_privately(api_client, agent, wall_ticket) -> None:
    response = api_client(agent).post(
        f"/api/v1/tickets/{wall_ticket.pk}/continue-privately",
        {"text": "Напишите номер заказа, пожалуйста", "public_reply": "Ответили в личных."},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["ticket"]["is_public"] is False
    assert body["ticket"]["id"] != wall_ticket.pk
    assert body["ticket"]["customer"] == wall_ticket.requester_id
    assert body["message"]["text"] == "Напишите номер заказа, пожалуйста"
    assert Delivery.objects.count() == 2  # the private message and the public note


def test_a_private_ticket_cannot_continue_privately(api_client, agent, whatsapp_ticket) -> None:
    response = api_client(agent).post(
        f"/api/v1/tickets/{whatsapp_ticket.pk}/continue-privately", {"text": "hi"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 422


def test_agents_outside_the_group_see_nothing(api_client, whatsapp_ticket, wall_ticket) -> None:
    outsider = factories.agent(role="agent", groups=["Billing"])
    client = api_client(outsider)

    assert client.get(f"/api/v1/tickets/{whatsapp_ticket.pk}/reply-options").status_code == 404
    posted = client.post(
        f"/api/v1/tickets/{whatsapp_ticket.pk}/templates", {"name": "order_update"},
        content_type="application/json",
    )  # fmt: skip
    moved = client.post(
        f"/api/v1/tickets/{wall_ticket.pk}/continue-privately", {"text": "hi"},
        content_type="application/json",
    )  # fmt: skip
    assert (posted.status_code, moved.status_code) == (404, 404)
    assert Delivery.objects.count() == 0


def test_without_a_token_it_is_401(client, whatsapp_ticket) -> None:
    assert client.get(f"/api/v1/tickets/{whatsapp_ticket.pk}/reply-options").status_code == 401
