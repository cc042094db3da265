"""Platform webhooks under hostile input. Platforms deliver again whenever we answer with
an error, so a verified delivery we cannot use is answered 200 and kept (marked
unparseable, for an operator), one we can partly use is processed without a crash, and a
bad or missing signature is a 4xx in the API's error shape with nothing stored."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.channels.meta.fake import SETTINGS as META_SETTINGS
from tests.channels.meta.fake import FakeMeta
from tests.channels.meta.fake import signed as meta_signed
from tests.channels.phone.fake import signed as phone_signed
from tests.channels.telegram.fake import SETTINGS as TELEGRAM_SETTINGS
from tests.channels.telegram.fake import FakeTelegram
from tests.channels.telegram.fake import signed as telegram_signed
from tests.channels.vk.fake import SETTINGS as VK_SETTINGS
from tests.channels.vk.fake import FakeVk
from tests.channels.vk.fake import signed as vk_signed
from tests.channels.whatsapp.fake import SETTINGS as WHATSAPP_SETTINGS
from tests.channels.whatsapp.fake import FakeWhatsApp
from tests.channels.whatsapp.fake import signed as whatsapp_signed
from tests.hostile.support import DEEP_ARRAY, DEEP_OBJECT, api_error
from unidesk.channels.models import ChannelAccount, InboundRecord, InboundState
from unidesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

Signer = Callable[[dict[str, str], bytes], tuple[bytes, dict[str, str]]]


class Desk:
    """One connected channel of each platform, its secrets, and how its platform signs."""

    def __init__(self, fakes: dict[str, Any]) -> None:
        self.accounts: dict[str, tuple[ChannelAccount, dict[str, str], Signer]] = {}
        platforms: dict[str, tuple[dict[str, str], Signer]] = {
            "telegram": (TELEGRAM_SETTINGS, telegram_signed),
            "whatsapp": (WHATSAPP_SETTINGS, whatsapp_signed),
            "vk": (VK_SETTINGS, vk_signed),
            "facebook": (META_SETTINGS, meta_signed),
            "phone": ({}, phone_signed),
        }
        for kind, (settings, signer) in platforms.items():
            with_base = {**settings, **({"api_base": fakes[kind].url} if kind in fakes else {})}
            account, secret = factories.channel(kind, settings=with_base)
            secrets = {**settings, "secret": secret}
            self.accounts[kind] = (account, secrets, signer)

    def post(self, kind: str, body: bytes, *, sign: bool = True, **headers: str) -> Any:
        account, secrets, signer = self.accounts[kind]
        signed_headers: dict[str, str] = {}
        # VK signs inside the body, which must then be a JSON object.
        if sign:
            with contextlib.suppress(ValueError, TypeError, RecursionError):
                body, signed_headers = signer(secrets, body)
        return Client().post(
            f"/api/v1/channels/{kind}/{account.key}/webhook",
            body,
            content_type="application/json",
            headers={**signed_headers, **headers},
        )


@pytest.fixture
def desk(db: None) -> Iterator[Desk]:
    with (
        FakeTelegram().running() as telegram,
        FakeWhatsApp().running() as whatsapp,
        FakeVk().running() as vk,
        FakeMeta().running() as meta,
    ):
        yield Desk({"telegram": telegram, "whatsapp": whatsapp, "vk": vk, "facebook": meta})


KINDS = ["telegram", "whatsapp", "vk", "facebook", "phone"]
JUNK = {
    "deeply nested array": DEEP_ARRAY,
    "deeply nested object": DEEP_OBJECT,
    "empty body": b"",
    "not UTF-8": b"\xff\xfe\x00garbage",
    "a JSON list": b"[]",
    "a JSON string": b'"update"',
    "a JSON number": b"12345",
    "JSON null": b"null",
    "an infinite id": b'{"update_id": Infinity, "event_id": Infinity, "call_id": Infinity}',
    "a 5000-digit id": b'{"update_id": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("body", JUNK.values(), ids=JUNK.keys())
def test_junk_is_answered_without_a_server_error_and_creates_nothing(
    desk: Desk, run_tasks: Callable[[], int], kind: str, body: bytes
) -> None:
    response = desk.post(kind, body)

    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        api_error(response)  # VK authenticates inside the body: junk has no secret
        assert not InboundRecord.objects.exists()
    run_tasks()
    assert not Ticket.objects.exists()
    assert set(InboundRecord.objects.values_list("state", flat=True)) <= {
        InboundState.UNPARSEABLE, InboundState.DONE,
    }  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "md5=abc"},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": "Ω" * 5000},
        {"X-Unidesk-Signature": "t=" + "9" * 400 + ",v1=00"},
        {"X-Unidesk-Signature": "t=abc,v1=00"},
        {"X-Unidesk-Signature": "garbage"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic " + "x" * 5000},
    ],
    ids=lambda headers: ",".join(f"{k}={v[:12]}" for k, v in headers.items()) or "none",
)
def test_a_missing_or_forged_signature_is_refused_and_nothing_is_stored(
    desk: Desk, kind: str, headers: dict[str, str]
) -> None:
    body = json.dumps({"update_id": 1, "type": "message_new", "group_id": 218374}).encode()

    response = desk.post(kind, body, sign=False, **headers)

    assert response.status_code in (401, 403)
    api_error(response)
    assert not InboundRecord.objects.exists()


def test_a_vk_callback_with_a_secret_of_the_wrong_type_is_refused(desk: Desk) -> None:
    body = json.dumps({"type": "message_new", "group_id": 218374, "secret": 12345}).encode()

    response = desk.post("vk", body, sign=False)

    assert api_error(response)["code"] == "unauthenticated"
    assert not InboundRecord.objects.exists()


@pytest.mark.parametrize("callback", ["press", 42, [1, 2], None, True])
def test_a_telegram_button_press_that_is_not_an_object_is_acknowledged(
    desk: Desk, run_tasks: Callable[[], int], callback: Any
) -> None:
    body = json.dumps({"update_id": 77, "callback_query": callback}).encode()

    response = desk.post("telegram", body)
    run_tasks()

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert InboundRecord.objects.get().state == InboundState.DONE
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("vk", {"type": "message_typing_state", "event_id": "\ud800", "group_id": 218374,
                "secret": VK_SETTINGS["secret"], "object": {}}),
        ("phone", {"call_id": "\udfff\ud800-call", "direction": "inbound", "status": "missed",
                   "caller": "+79160000001", "callee": "+78005553535"}),
    ],
    ids=["vk event_id", "phone call_id"],
)  # fmt: skip
def test_a_delivery_id_with_a_lone_surrogate_is_stored_once(
    desk: Desk, kind: str, body: dict[str, Any]
) -> None:
    raw = json.dumps(body).encode()  # json escapes the surrogate as \ud800

    first = desk.post(kind, raw, sign=kind != "vk")
    again = desk.post(kind, raw, sign=kind != "vk")

    assert (first.status_code, again.status_code) == (200, 200)
    assert InboundRecord.objects.count() == 1


def test_a_telegram_message_with_a_lone_surrogate_and_a_nul_becomes_a_ticket(
    desk: Desk, run_tasks: Callable[[], int]
) -> None:
    update = {
        "update_id": 9001,
        "message": {
            "message_id": 5, "date": 1767261600, "text": "Где\u0000 заказ \ud83d?",
            "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "first_name": "Иван\ud800", "last_name": 7},
        },
    }  # fmt: skip

    response = desk.post("telegram", json.dumps(update).encode())
    run_tasks()

    assert response.status_code == 200
    message = Message.objects.select_related("ticket__requester").get()
    assert message.text == "Где заказ \ufffd?"
    assert message.ticket.requester.name == "Иван\ufffd 7"
    assert InboundRecord.objects.get().state == InboundState.DONE


def _whatsapp(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": WHATSAPP_SETTINGS["phone_number_id"]},
            **value,
        }}]}],
    }  # fmt: skip


def _messenger(item: dict[str, Any]) -> dict[str, Any]:
    page = META_SETTINGS["page_id"]
    return {
        "object": "page",
        "entry": [{"id": page, "time": 1767261600000, "messaging": [
            {"sender": {"id": "5551"}, "recipient": {"id": page}, "timestamp": 1767261600000,
             **item},
        ]}],
    }  # fmt: skip


ODD_BUT_VALID = {
    "telegram: only unknown keys": ("telegram", {"update_id": 31, "poll_answer": {"x": 1}}),
    "telegram: a message with only unknown keys": (
        "telegram", {"update_id": 32, "message": {"something_new": True}}
    ),
    "whatsapp: statuses of unknown messages": ("whatsapp", _whatsapp({"statuses": [
        {"id": "wamid.unknown", "status": "read", "timestamp": "1767261600",
         "recipient_id": "79160000001"},
        {"id": "wamid.unknown2", "status": "teleported"},
        {"id": "wamid.unknown3", "status": ["read"], "errors": "none"},
    ]})),
    "whatsapp: a reaction": ("whatsapp", _whatsapp({"messages": [
        {"from": "79160000001", "id": "wamid.r1", "timestamp": "1767261600", "type": "reaction",
         "reaction": {"message_id": "wamid.unknown", "emoji": "👍"}},
    ]})),
    "whatsapp: fields of the wrong types": ("whatsapp", {
        "object": "whatsapp_business_account",
        "entry": ["x", {"changes": "x"}, {"changes": [None, {"field": "messages", "value": 7}]}],
    }),
    "vk: an unknown event type": ("vk", {"type": "like_add", "group_id": 218374,
                                         "event_id": "e1", "object": {"liker_id": 1}}),
    "vk: a message that is not an object": ("vk", {"type": "message_reply", "group_id": 218374,
                                                   "event_id": "e2", "object": {"message": 5}}),
    "meta: a reaction": ("facebook", _messenger(
        {"reaction": {"mid": "m_unknown", "action": "react", "emoji": "❤"}}
    )),
    "meta: a deleted message": ("facebook", _messenger(
        {"message": {"mid": "m_gone", "is_deleted": True}}
    )),
    "meta: a read receipt for an unknown message": ("facebook", _messenger(
        {"read": {"mid": "m_unknown", "watermark": 1767261600000}}
    )),
    "meta: the echo of a message sent from unidesk": ("facebook", _messenger(
        {"message": {"mid": "m_echo", "is_echo": True, "app_id": META_SETTINGS["app_id"]}}
    )),
    "meta: entries of the wrong types": ("facebook", {
        "object": "page", "entry": [1, {"id": META_SETTINGS["page_id"], "messaging": "x"}],
    }),
    "phone: an event of an unknown kind": ("phone", {"event": "conference.started", "id": 1}),
}  # fmt: skip


@pytest.mark.parametrize(("kind", "payload"), ODD_BUT_VALID.values(), ids=ODD_BUT_VALID.keys())
def test_odd_but_well_formed_payloads_are_accepted_and_processed_without_a_crash(
    desk: Desk, run_tasks: Callable[[], int], kind: str, payload: dict[str, Any]
) -> None:
    response = desk.post(kind, json.dumps(payload, ensure_ascii=False).encode())
    run_tasks()

    assert response.status_code == 200
    record = InboundRecord.objects.get()
    # Understood and ignored, or kept as unreadable with a reason — never a crash, never
    # a delivery left to be retried.
    assert record.state in (InboundState.DONE, InboundState.UNPARSEABLE), record.error
    assert "Unexpected error" not in record.error
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_a_webhook_get_a_json_405(desk: Desk, method: str) -> None:
    account = desk.accounts["telegram"][0]

    response = getattr(Client(), method)(f"/api/v1/channels/telegram/{account.key}/webhook")

    assert response.status_code == 405
    assert api_error(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("body", [b"", b"  \r\n\r\n  "], ids=["empty", "blank"])
def test_an_empty_raw_email_is_refused_at_once_and_nothing_is_stored(db: None, body: bytes) -> None:
    account, secret = factories.channel("email", settings={"address": "help@example.com"})

    response = Client().post(
        f"/api/v1/channels/email/{account.key}/raw", body, content_type="message/rfc822",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip

    assert api_error(response)["fields"] == {"body": "required"}
    assert not InboundRecord.objects.exists()


@pytest.mark.parametrize(
    "body",
    [DEEP_ARRAY, b"\x00\x01\x02", b"just some words, no headers", b"From: \xff\xfe\r\n\r\n\xff"],
    ids=["deep JSON", "binary", "no headers", "undecodable"],
)
def test_a_raw_email_that_is_not_one_is_kept_as_unreadable(
    db: None, run_tasks: Callable[[], int], body: bytes
) -> None:
    account, secret = factories.channel("email", settings={"address": "help@example.com"})

    response = Client().post(
        f"/api/v1/channels/email/{account.key}/raw", body, content_type="message/rfc822",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip
    run_tasks()

    assert response.status_code == 200
    record = InboundRecord.objects.get()
    assert record.state in (InboundState.UNPARSEABLE, InboundState.DONE), record.error
    assert "Unexpected error" not in record.error


@pytest.mark.parametrize("kind", ["whatsapp", "facebook"])
def test_the_handshake_echoes_a_challenge_only_as_inert_text(desk: Desk, kind: str) -> None:
    account, secrets, _signer = desk.accounts[kind]
    url = f"/api/v1/channels/{kind}/{account.key}/webhook"
    challenge = "<script>alert(1)</script>"

    right = Client().get(url, {"hub.mode": "subscribe", "hub.challenge": challenge,
                               "hub.verify_token": secrets["verify_token"]})  # fmt: skip
    wrong = Client().get(url, {"hub.mode": "subscribe", "hub.challenge": challenge,
                               "hub.verify_token": "\u202e" + "x" * 5000})  # fmt: skip
    empty = Client().get(url)

    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain")
    assert right["X-Content-Type-Options"] == "nosniff"
    assert wrong.status_code == 403
    assert empty.status_code == 400  # not a handshake at all
    assert challenge.encode() not in wrong.content + empty.content
