"""POST /api/v1/channels/api/{key}/messages — the simplest way to feed the desk."""

import base64
import json

import pytest
from django.test import Client

from tests import factories
from unidesk.customers.models import Customer
from unidesk.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel():
    return factories.channel("api", group_name="Billing")


def post(key: str, body: object, secret: str | None, **headers: str):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    if secret is not None:
        headers.setdefault("Authorization", f"Bearer {secret}")
    return Client(headers=headers).post(
        f"/api/v1/channels/api/{key}/messages", data=raw, content_type="application/json"
    )


def payload(**overrides: object) -> dict:
    body: dict = {
        "external_id": "form-1",
        "identity": {"kind": "email", "value": "olga@example.ru"},
        "name": "Ольга Петрова",
        "text": "Здравствуйте! Списали деньги дважды за заказ 4411.",
        "thread": "",
    }
    body.update(overrides)
    return body


def assert_nothing_stored() -> None:
    assert (Ticket.objects.count(), Message.objects.count(), Customer.objects.count()) == (0, 0, 0)


def test_a_message_becomes_a_ticket(channel) -> None:
    account, secret = channel

    response = post(account.key, payload(), secret)

    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(pk=body["ticket_id"])
    assert body == {
        "message_id": ticket.messages.get().pk, "ticket_id": ticket.pk,
        "ticket_number": ticket.number, "duplicate": False,
    }  # fmt: skip
    assert ticket.subject.startswith("Здравствуйте!")
    assert ticket.group.name == "Billing"
    assert ticket.requester.name == "Ольга Петрова"


def test_a_repeated_external_id_answers_200_and_creates_nothing(channel) -> None:
    account, secret = channel
    first = post(account.key, payload(), secret).json()

    again = post(account.key, payload(text="другой текст"), secret)

    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert Message.objects.count() == 1


def test_attachments_in_base64_are_stored(channel) -> None:
    account, secret = channel
    data = base64.b64encode(b"receipt bytes").decode()

    response = post(
        account.key,
        payload(attachments=[{"filename": "чек.pdf", "content_type": "application/pdf",
                              "data_base64": data}]),
        secret,
    )  # fmt: skip

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.size) == ("чек.pdf", 13)
    assert attachment.file.read() == b"receipt bytes"


def test_the_thread_key_continues_a_conversation(channel) -> None:
    account, secret = channel
    first = post(account.key, payload(external_id="a", thread="order-4411"), secret).json()
    second = post(account.key, payload(external_id="b", thread="order-4411"), secret).json()

    assert first["ticket_id"] == second["ticket_id"]


def test_an_unknown_channel_key_is_404_json(channel) -> None:
    _, secret = channel

    response = post("no-such-key", payload(), secret)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert_nothing_stored()


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_a_missing_or_wrong_secret_is_401(channel, auth) -> None:
    account, _ = channel
    headers = {"Authorization": auth} if auth else {}

    response = post(account.key, payload(), None, **headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert_nothing_stored()


def test_the_secret_of_another_channel_is_refused(channel) -> None:
    account, _ = channel
    _, other_secret = factories.channel("api")

    assert post(account.key, payload(), other_secret).status_code == 401


def test_authentication_comes_before_reading_the_body(channel) -> None:
    account, _ = channel

    assert post(account.key, "{not json", "wrong").status_code == 401
    assert post("no-such-key", "{not json", "wrong").status_code == 404


def test_a_switched_off_channel_is_404(channel) -> None:
    account, secret = channel
    account.is_active = False
    account.save()

    assert post(account.key, payload(), secret).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "body"),
        ("[]", "body"),
        (payload(external_id=""), "external_id"),
        ({k: v for k, v in payload().items() if k != "identity"}, "identity"),
        (payload(identity={"kind": "pigeon", "value": "x"}), "identity.kind"),
        (payload(identity={"kind": "email", "value": "not-an-address"}), "identity.value"),
        (payload(identity={"kind": "phone", "value": "12"}), "identity.value"),
        (payload(text="", html=""), "text"),
        (payload(sent_at="yesterday"), "sent_at"),
        (payload(sent_at="2026-01-01T10:00:00"), "sent_at"),
        (payload(attachments=[{"filename": "a.txt", "data_base64": "%%%"}]),
         "attachments.0.data_base64"),
        (payload(attachments=[{"filename": "", "data_base64": ""}]), "attachments.0.filename"),
        (payload(external_id="x" * 300), "external_id"),
    ],
)  # fmt: skip
def test_bad_input_is_422_naming_the_field_and_stores_nothing(channel, body, field) -> None:
    account, secret = channel

    response = post(account.key, body, secret)

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"] or any(k.startswith(field) for k in error["fields"]), error
    assert_nothing_stored()


def test_an_oversized_attachment_is_413_with_the_limit(channel, settings) -> None:
    settings.MAX_ATTACHMENT_BYTES = 1000
    account, secret = channel
    data = base64.b64encode(b"x" * 1001).decode()

    response = post(
        account.key, payload(attachments=[{"filename": "big.bin", "data_base64": data}]), secret
    )

    assert response.status_code == 413
    assert "1000" in response.json()["error"]["message"]
    assert_nothing_stored()


def test_a_body_over_the_request_limit_is_413(channel, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    account, secret = channel

    response = post(account.key, payload(text="x" * 5000), secret)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert_nothing_stored()


def test_hostile_html_is_sanitised_and_text_kept(channel) -> None:
    account, secret = channel

    post(account.key, payload(html='<p onclick="x()">Hi<script>alert(1)</script></p>', text=""),
         secret)  # fmt: skip

    message = Message.objects.get()
    assert "script" not in message.html
    assert "onclick" not in message.html
    assert message.text == "Hi"
