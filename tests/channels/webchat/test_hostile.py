"""What the widget's websocket does with frames nobody should send: an error frame that
says what is wrong, the connection kept, nothing stored, and rate limits per visitor and
per address that refuse loudly (with when to try again) and lose nothing."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.test import override_settings

from tests import factories
from tests.channels.webchat.conftest import Visitor, db
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import channel_set_active
from unidesk.tickets.models import Message

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _ready(account: ChannelAccount, **kwargs: str) -> Visitor:
    visitor = Visitor(account.key, **kwargs)
    assert (await visitor.connect())[0]
    await visitor.hello()
    return visitor


async def _still_open(visitor: Visitor) -> None:
    await visitor.send({"type": "ping"})
    assert (await visitor.receive())["type"] == "pong"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json at all", "malformed"),
        ("[1, 2, 3]", "malformed"),
        ('{"no": "type"}', "malformed"),
        ('{"type": 42}', "malformed"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        ('{"type": "message", "id": "a", "text": ""}', "empty"),
        ('{"type": "message", "id": "a", "text": ["list"]}', "bad_text"),
        ('{"type": "message", "id": "a", "text": {"html": "<b>"}}', "bad_text"),
        ('{"type": "message", "text": "no id"}', "bad_id"),
        ('{"type": "message", "id": "../../etc/passwd", "text": "x"}', "bad_id"),
        ('{"type": "message", "id": "' + "x" * 65 + '", "text": "x"}', "bad_id"),
        ('{"type": "message", "id": "b", "text": "x", "button": 12}', "bad_button"),
        ('{"type": "read", "until": "everything"}', "bad_id"),
        ('{"type": "read", "until": true}', "bad_id"),
        ('{"type": "prechat", "email": "not an address"}', "bad_email"),
        ('{"type": "verify", "code": "123456"}', "no_email"),
    ],
)
async def test_a_bad_frame_gets_an_error_frame_and_the_connection_stays(
    chat: tuple[ChannelAccount, str], frame: str, code: str
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    await visitor.ws.send_text(frame)
    error = await visitor.receive()

    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    await _still_open(visitor)
    assert await db(Message.objects.count)() == 0
    await visitor.close()


async def test_an_oversized_frame_is_refused_with_its_id_and_the_text_is_kept_by_the_widget(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    await visitor.ws.send_text(json.dumps({"type": "message", "id": "big-1", "text": "я" * 70_000}))
    error = await visitor.receive()

    assert (error["code"], error["id"]) == ("too_large", "big-1")
    await _still_open(visitor)
    ack = await visitor.say("big-1", "a shorter version")
    assert ack["message"]["text"] == "a shorter version"
    await visitor.close()


async def test_a_message_over_the_text_limit_is_refused_by_name(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    await visitor.send({"type": "message", "id": "long", "text": "x" * 10_001})
    error = await visitor.receive()

    assert (error["code"], error["id"]) == ("too_long", "long")
    await visitor.close()


async def test_binary_frames_and_messages_before_hello_are_refused(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()

    await visitor.ws.send_bytes(b"\x00\x01binary")
    binary = await visitor.receive()
    await visitor.send({"type": "message", "id": "early", "text": "hi"})
    early = await visitor.receive()

    assert binary["code"] == "binary"
    assert (early["code"], early["id"]) == ("hello_first", "early")
    await visitor.hello()
    assert (await visitor.say("early", "hi"))["message"]["text"] == "hi"
    await visitor.close()


async def test_control_characters_are_taken_out_of_the_text(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    ack = await visitor.say("c", "hello\x00\x07 world\u202e")

    assert "\x00" not in ack["message"]["text"]
    assert ack["message"]["text"].startswith("hello")
    await visitor.close()


async def test_an_unknown_or_switched_off_channel_refuses_the_connection(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    unknown = Visitor("no-such-key")
    assert await unknown.connect() == (False, 4404)

    await db(channel_set_active)(account=account, active=False)
    off = Visitor(account.key)
    assert await off.connect() == (False, 4404)


async def test_a_page_the_channel_does_not_allow_is_refused(transactional_db: None) -> None:
    account, _ = await db(factories.channel)(
        "webchat", settings={"allowed_origins": "https://shop.example, https://*.shop.example"}
    )

    assert (await Visitor(account.key, origin="https://shop.example").connect())[0]
    assert (await Visitor(account.key, origin="https://m.shop.example").connect())[0]
    assert await Visitor(account.key, origin="https://evil.example").connect() == (False, 4403)
    assert await Visitor(account.key, origin="https://shop.example.evil").connect() == (
        False,
        4403,
    )
    assert await Visitor(account.key, origin="null").connect() == (False, 4403)


async def test_a_token_of_another_channel_or_forged_gets_a_fresh_visitor(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    other, _ = await db(factories.channel)("webchat")
    stranger = await _ready(other)
    await stranger.say("1", "in the other chat")

    for token in (stranger.token, "forged:token", 12345, "x" * 5000):
        visitor = Visitor(account.key)
        visitor.token = token  # type: ignore[assignment]
        await visitor.connect()
        welcome = await visitor.hello()
        assert welcome["token"] != stranger.token
        assert welcome["messages"] == []
        await visitor.close()
    await stranger.close()


@override_settings(
    UNIDESK={
        **__import__("django.conf").conf.settings.UNIDESK,
        "WEBCHAT_VISITOR_BURST_PER_10S": 3,
        "WEBCHAT_VISITOR_MESSAGES_PER_MINUTE": 100,
    }
)
async def test_a_visitor_over_the_rate_limit_is_told_when_to_retry_and_loses_nothing(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    with time_machine.travel("2026-03-02 10:00:00 +0000", tick=False) as clock:
        visitor = await _ready(account)
        for n in range(3):
            await visitor.say(f"m{n}", f"message {n}")

        await visitor.send({"type": "message", "id": "m3", "text": "one too many"})
        refused = await visitor.receive()
        # The already stored message sent again is still acknowledged.
        repeat = await visitor.say("m0", "message 0")

        assert refused["code"] == "rate_limited"
        assert refused["id"] == "m3"
        assert 0 < refused["retry_after"] <= 10
        assert repeat["message"]["text"] == "message 0"
        assert await db(Message.objects.count)() == 3

        clock.shift(refused["retry_after"])
        accepted = await visitor.say("m3", "one too many")
        assert accepted["message"]["text"] == "one too many"
        await visitor.close()


@override_settings(
    UNIDESK={
        **__import__("django.conf").conf.settings.UNIDESK,
        "WEBCHAT_IP_MESSAGES_PER_MINUTE": 4,
    }
)
async def test_many_visitors_from_one_address_share_its_limit(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    with time_machine.travel("2026-03-02 10:00:00 +0000", tick=False):
        crowd = [await _ready(account, ip="198.51.100.7") for _ in range(5)]
        elsewhere = await _ready(account, ip="192.0.2.1")
        results = []
        for n, visitor in enumerate(crowd):
            await visitor.send({"type": "message", "id": "x", "text": f"hi {n}"})
            results.append((await visitor.receive())["type"])
        other = await elsewhere.say("x", "from elsewhere")

    assert results == ["ack", "ack", "ack", "ack", "error"]
    assert other["type"] == "ack"
    for visitor in [*crowd, elsewhere]:
        await visitor.close()


@override_settings(
    UNIDESK={
        **__import__("django.conf").conf.settings.UNIDESK,
        "WEBCHAT_IP_CONNECTIONS_PER_MINUTE": 2,
    }
)
async def test_too_many_connections_from_one_address_are_told_to_wait(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    with time_machine.travel("2026-03-02 10:00:00 +0000", tick=False):
        for _ in range(2):
            allowed = Visitor(account.key, ip="198.51.100.8")
            assert (await allowed.connect())[0]
            await _still_open(allowed)
        flood = Visitor(account.key, ip="198.51.100.8")
        await flood.connect()
        error = await flood.receive()
        code = await flood.ws.receive_close()

    assert error["code"] == "rate_limited"
    assert error["retry_after"] > 0
    assert code == 4429


async def test_a_flood_of_frames_is_slowed_down_without_closing(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    for _ in range(60):
        await visitor.send({"type": "read", "until": 1})
    await visitor.send({"type": "message", "id": "late", "text": "still here"})
    codes = []
    while not await visitor.ws.receive_nothing(0.3):
        frame = await visitor.receive()
        codes.append((frame.get("code"), frame.get("id")))

    assert ("rate_limited", None) in codes
    assert ("rate_limited", "late") in codes  # the widget keeps it and sends it again
    assert await db(Message.objects.count)() == 0
    await visitor.close()
