"""The server's own path for API-channel messages (``unidesk.api.webhook_lane``): the same
answers as the route, byte for byte, and messages arriving together ingested together
without losing or doubling any. Exercised through the real ASGI application."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from tests import factories
from tests.support.asgi import asgi_post, post
from unidesk.customers.models import Customer
from unidesk.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def channel():
    return factories.channel("api", group_name="Billing")


def message(n: int, **overrides: object) -> dict:
    body: dict = {
        "external_id": f"crm-{n}",
        "identity": {"kind": "email", "value": f"buyer{n % 3}@example.ru"},
        "name": f"Покупатель {n % 3}",
        "text": f"Заказ {n}: где посылка?",
        "thread": f"order-{n % 4}",
    }
    body.update(overrides)
    return body


def through_route(key: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    response = Client(headers=headers).post(
        f"/api/v1/channels/api/{key}/messages", data=raw, content_type="application/json"
    )
    return response.status_code, response.json()


def through_lane(key: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    status, answer_headers, body = post(f"/api/v1/channels/api/{key}/messages", raw, headers)
    assert answer_headers[b"content-type"].startswith(b"application/json")
    return status, json.loads(body)


BAD_BODIES = [
    b"",
    b"{not json",
    b"\xff\xfe",
    b"[]",
    b'"text"',
    b"{}",
    json.dumps({"external_id": "x"}).encode(),
    json.dumps({"external_id": "", "identity": {"kind": "email", "value": "a@b.ru"}}).encode(),
    json.dumps({"external_id": "x", "identity": {"kind": "fax", "value": "1"}}).encode(),
    json.dumps({"external_id": "x", "identity": {"kind": "email", "value": "a@b.ru"}}).encode(),
    json.dumps(message(1, sent_at="2026-01-01T10:00:00")).encode(),
    json.dumps(message(1, attachments=[{"filename": "a.txt", "data_base64": "%%%"}])).encode(),
    json.dumps(message(1, attachments=[{"filename": "a.txt"}])).encode(),
    json.dumps(message(1, identity={"kind": "email", "value": "not an address"})).encode(),
    json.dumps(message(1, text=12)).encode(),
]


@pytest.mark.parametrize("raw", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_bad_input_gets_the_routes_answer_and_stores_nothing(channel, raw: bytes) -> None:
    account, secret = channel
    auth = {"Authorization": f"Bearer {secret}"}

    lane = through_lane(account.key, raw, auth)

    assert lane == through_route(account.key, raw, auth)
    assert 400 <= lane[0] < 500
    assert lane[1]["error"]["code"]
    assert (Ticket.objects.count(), Message.objects.count(), Customer.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(
    ("key", "headers"),
    [
        ("no-such-channel", {"Authorization": "Bearer whatever"}),
        (None, {}),
        (None, {"Authorization": "Bearer wrong-secret"}),
        (None, {"Authorization": "Basic dXNlcjpwYXNz"}),
    ],
)
def test_unknown_channels_and_wrong_secrets_are_refused_alike(channel, key, headers) -> None:
    account, _ = channel
    raw = json.dumps(message(1)).encode()

    lane = through_lane(key or account.key, raw, headers)

    assert lane == through_route(key or account.key, raw, headers)
    assert lane[0] in (401, 404)
    assert Message.objects.count() == 0


def test_a_body_over_the_limit_is_refused_with_the_limit(channel, settings) -> None:
    account, secret = channel
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    raw = json.dumps(message(1, text="x" * 4096)).encode()

    status, body = through_lane(account.key, raw, {"Authorization": f"Bearer {secret}"})

    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert "2048 bytes" in body["error"]["message"]
    assert Message.objects.count() == 0


def test_a_message_is_answered_with_its_ticket_and_a_repeat_with_the_same(channel) -> None:
    account, secret = channel
    auth = {"Authorization": f"Bearer {secret}"}
    raw = json.dumps(message(7)).encode()

    first_status, first = through_lane(account.key, raw, auth)
    again_status, again = through_lane(account.key, raw, auth)

    ticket = Ticket.objects.get()
    assert first_status == 201
    assert first == {
        "message_id": ticket.messages.get().pk, "ticket_id": ticket.pk,
        "ticket_number": ticket.number, "duplicate": False,
    }  # fmt: skip
    assert again_status == 200
    assert again == {**first, "duplicate": True}
    assert ticket.group.name == "Billing"


def test_messages_arriving_together_are_all_stored_once_on_the_right_tickets(channel) -> None:
    account, secret = channel
    auth = {"Authorization": f"Bearer {secret}"}
    path = f"/api/v1/channels/api/{account.key}/messages"
    # 40 messages on 4 threads, each sent twice at once (a client retrying too early).
    bodies = [json.dumps(message(n % 40)).encode() for n in range(80)]

    async def burst():
        return await asyncio.gather(*(asgi_post(path, raw, auth) for raw in bodies))

    answers = async_to_sync(burst)()

    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * 40 + [201] * 40
    assert Message.objects.count() == 40
    assert Ticket.objects.count() == 4
    assert Customer.objects.count() == 3
    for _, _, raw in answers:
        answer = json.loads(raw)
        stored = Message.objects.select_related("ticket").get(pk=answer["message_id"])
        assert stored.ticket.number == answer["ticket_number"]
        assert stored.ticket.thread_key == f"order-{int(stored.external_id[4:]) % 4}"


def test_one_bad_message_in_a_burst_fails_alone(channel) -> None:
    account, secret = channel
    auth = {"Authorization": f"Bearer {secret}"}
    path = f"/api/v1/channels/api/{account.key}/messages"
    good = [json.dumps(message(n)).encode() for n in range(10)]
    too_big = json.dumps(
        message(99, attachments=[{"filename": "big.bin", "data_base64": "QUJD" * 10}])
    ).encode()
    attached = json.dumps(
        message(98, attachments=[{"filename": "note.txt", "content_type": "text/plain",
                                  "data_base64": base64.b64encode(b"hello").decode()}])
    ).encode()  # fmt: skip

    async def burst():
        return await asyncio.gather(
            *(asgi_post(path, raw, auth) for raw in [*good[:5], too_big, attached, *good[5:]])
        )

    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "MAX_ATTACHMENT_BYTES", 20)
        answers = async_to_sync(burst)()

    assert [status for status, _, _ in answers] == [201] * 5 + [413, 201] + [201] * 5
    assert Message.objects.count() == 11
    assert not Message.objects.filter(external_id="crm-99").exists()
    assert Attachment.objects.get().filename == "note.txt"
