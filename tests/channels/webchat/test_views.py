"""The widget's HTTP side: the script, its per-channel settings and texts, file uploads
and the signed links to files, called cross-origin from customers' sites."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import channel_add, channel_update_settings
from unidesk.channels.webchat import identity
from unidesk.core.errors import ValidationFailed
from unidesk.tickets.models import Attachment, Message

ORIGIN = "https://shop.example"


@pytest.fixture
def account(db: None) -> ChannelAccount:
    return factories.channel(
        "webchat",
        group_name="General",
        settings={"color": "#aa3300", "title_ru": "Поддержка магазина", "greeting_en": "Hi!"},
    )[0]


def test_settings_and_texts_come_in_the_pages_language(
    client: Client, account: ChannelAccount
) -> None:
    ru = client.get(f"/webchat/{account.key}/config?lang=ru-RU", headers={"Origin": ORIGIN})
    en = client.get(f"/webchat/{account.key}/config?lang=en", headers={"Origin": ORIGIN})

    assert ru.status_code == 200
    assert ru["Access-Control-Allow-Origin"] == ORIGIN
    body_ru, body_en = ru.json(), en.json()
    assert body_ru["color"] == "#aa3300"
    assert body_ru["texts"]["title"] == "Поддержка магазина"
    assert body_en["texts"]["title"] == "Поддержка магазина"  # only Russian was given
    assert body_en["texts"]["greeting"] == "Hi!"
    assert body_ru["texts"]["send"] == "Отправить"
    assert body_en["texts"]["send"] == "Send"
    assert body_en["online"] is True


def test_an_unknown_chat_and_a_refused_origin(client: Client, account: ChannelAccount) -> None:
    channel_update_settings(account=account, settings={"allowed_origins": "https://shop.example"})

    missing = client.get("/webchat/nope/config")
    refused = client.get(
        f"/webchat/{account.key}/config", headers={"Origin": "https://evil.example"}
    )

    assert missing.status_code == 404
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_refused"
    assert "Access-Control-Allow-Origin" not in refused


def test_bad_widget_settings_are_refused_when_saved(db: None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        channel_add(
            kind="webchat",
            name="Site",
            settings={"color": "red", "prechat": "sometimes", "allowed_origins": "shop.example"},
        )

    assert set(refused.value.fields) == {"color", "prechat", "allowed_origins"}
    assert "#RRGGBB" in refused.value.message


def _token(account: ChannelAccount) -> str:
    return identity.token_for(account.key, identity.new_public_id())


def _upload(client: Client, account: ChannelAccount, **fields: Any) -> Any:
    data = {"token": _token(account), "id": "f-1", "text": "the receipt", "lang": "en", **fields}
    return client.post(f"/webchat/{account.key}/upload", data, headers={"Origin": ORIGIN})


def test_a_visitor_sends_an_image_with_a_caption(client: Client, account: ChannelAccount) -> None:
    image = SimpleUploadedFile("receipt.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
    token = _token(account)

    response = _upload(client, account, file=image, token=token)
    repeat = _upload(client, account, token=token,
                     file=SimpleUploadedFile("receipt.png", b"\x89PNG", "image/png"))  # fmt: skip

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    body = response.json()["message"]
    assert body["text"] == "the receipt"
    (shown,) = body["files"]
    assert (shown["name"], shown["image"]) == ("receipt.png", True)
    assert repeat.status_code == 200
    assert Message.objects.count() == 1
    stored = Attachment.objects.get()
    assert stored.size == 108
    link = client.get(shown["url"])
    assert link.status_code == 200
    assert link["Content-Type"] == "image/png"
    assert link["X-Content-Type-Options"] == "nosniff"


def test_uploads_over_the_limit_or_without_a_file_are_refused(
    client: Client, account: ChannelAccount
) -> None:
    channel_update_settings(account=account, settings={"max_upload_mb": "1"})
    big = SimpleUploadedFile("video.mp4", b"0" * (1024 * 1024 + 1), "video/mp4")

    too_large = _upload(client, account, file=big)
    missing = _upload(client, account)
    empty = _upload(client, account, file=SimpleUploadedFile("e.txt", b"", "text/plain"))

    assert too_large.status_code in (413, 422)
    assert too_large.json()["error"]["code"] == "file_too_large"
    assert missing.json()["error"]["code"] == "no_file"
    assert empty.json()["error"]["code"] == "file_empty"
    assert Message.objects.count() == 0


def test_an_upload_with_a_forged_token_is_refused(client: Client, account: ChannelAccount) -> None:
    response = _upload(
        client, account, token="forged", file=SimpleUploadedFile("a.txt", b"hi", "text/plain")
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_token"
    assert Message.objects.count() == 0


def test_uploads_can_be_switched_off(client: Client, account: ChannelAccount) -> None:
    channel_update_settings(account=account, settings={"uploads": "off"})

    response = _upload(client, account, file=SimpleUploadedFile("a.txt", b"hi", "text/plain"))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "uploads_off"
    assert json.loads(client.get(f"/webchat/{account.key}/config").content)["uploads"] is False


def test_a_file_link_that_was_tampered_with_finds_nothing(
    client: Client, account: ChannelAccount
) -> None:
    html = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", "text/html")
    body = _upload(client, account, file=html).json()["message"]
    url = body["files"][0]["url"]

    served = client.get(url)
    tampered = client.get(url[:-3] + "abc")
    other_channel = factories.channel("webchat")[0]
    wrong_key = client.get(url.replace(account.key, other_channel.key))

    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert tampered.status_code == 404
    assert wrong_key.status_code == 404


def test_preflight_for_an_allowed_origin(client: Client, account: ChannelAccount) -> None:
    response = client.options(
        f"/webchat/{account.key}/upload",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_agents_can_try_the_chat_on_a_page_of_the_desk(
    client: Client, account: ChannelAccount
) -> None:
    anonymous = client.get(f"/webchat/{account.key}/try")
    client.force_login(factories.agent(groups=["General"]))
    page = client.get(f"/webchat/{account.key}/try")
    missing = client.get("/webchat/nope/try")

    assert anonymous.status_code == 302
    assert page.status_code == 200
    assert f'data-channel="{account.key}"' in page.content.decode()
    assert "http://testserver/widget.js" in page.content.decode()
    assert missing.status_code == 404
