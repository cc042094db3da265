"""The chat widget's websocket and upload endpoint under hostile input: an error the widget
can show, the connection kept, nothing stored twice, never a server error."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.channels.webchat.conftest import Visitor, db
from unidesk.channels.models import ChannelAccount
from unidesk.channels.webchat import identity
from unidesk.tickets.models import Message

ORIGIN = "https://shop.example"


async def _ready(account: ChannelAccount) -> Visitor:
    visitor = Visitor(account.key)
    assert (await visitor.connect())[0]
    await visitor.hello()
    return visitor


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "frame",
    [
        "[" * 20_000 + "]" * 20_000,
        '{"type": "message", "id": "a", "text": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
    ids=["deep array", "deep text"],
)  # fmt: skip
async def test_a_frame_nested_too_deeply_gets_an_error_frame_and_the_connection_stays(
    chat: tuple[ChannelAccount, str], frame: str
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    await visitor.ws.send_text(frame)
    error = await visitor.receive()

    assert (error["type"], error["code"]) == ("error", "malformed")
    await visitor.send({"type": "ping"})
    assert (await visitor.receive())["type"] == "pong"
    assert await db(Message.objects.count)() == 0
    await visitor.close()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_lone_surrogate_in_a_chat_message_is_stored_as_a_replacement_character(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = await _ready(account)

    # json.dumps writes the surrogate as the escape "\ud800", as a browser's JSON may.
    await visitor.ws.send_text(json.dumps({"type": "message", "id": "s-1", "text": "a\ud800b"}))
    ack = await visitor.receive_type("ack")

    assert ack["message"]["text"] == "a\ufffdb"
    texts = await db(lambda: list(Message.objects.values_list("text", flat=True)))()
    assert texts == ["a\ufffdb"]
    await visitor.close()


@pytest.fixture
def widget(db: None) -> ChannelAccount:
    return factories.channel("webchat", group_name="General")[0]


def test_an_upload_that_is_not_a_form_is_refused_in_json(widget: ChannelAccount) -> None:
    url = f"/webchat/{widget.key}/upload"
    client = Client()

    no_boundary = client.post(url, b"x", content_type="multipart/form-data",
                              headers={"Origin": ORIGIN})  # fmt: skip
    bad_length = client.generic(
        "POST", url, b"x", content_type="multipart/form-data; boundary=zz",
        headers={"Origin": ORIGIN}, CONTENT_LENGTH="abc",
    )  # fmt: skip

    assert no_boundary.status_code == 400
    assert no_boundary.json()["error"]["code"] == "no_file"
    assert bad_length.status_code < 500, bad_length.content[:300]
    assert not Message.objects.exists()


def test_an_uploaded_file_name_is_only_a_name(widget: ChannelAccount) -> None:
    token = identity.token_for(widget.key, identity.new_public_id())
    upload = SimpleUploadedFile("../../etc/passwd.html", b"<script>alert(1)</script>", "text/html")

    response = Client().post(
        f"/webchat/{widget.key}/upload", {"token": token, "id": "f-1", "file": upload},
        headers={"Origin": ORIGIN},
    )  # fmt: skip
    (shown,) = response.json()["message"]["files"]
    served = Client().get(shown["url"])

    assert response.status_code == 201
    assert "/" not in shown["name"]
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
