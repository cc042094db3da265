"""Raw email through the server's webhook lane (the ASGI path `unidesk run` serves):
verified, stored with the next group commit, answered like the Django route."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync

from tests.channels.email.support import SECRET, customer_mail, mailbox, signature
from tests.channels.test_webhook_lane import _post
from unidesk.channels.models import InboundRecord

pytestmark = pytest.mark.django_db(transaction=True)


def test_raw_mail_takes_the_lane_and_is_stored_once() -> None:
    account = mailbox()
    path = f"/api/v1/channels/email/{account.key}/raw"
    auth = {"Authorization": f"Bearer {SECRET}", "Content-Type": "message/rfc822"}

    async def burst():
        mails = [customer_mail(message_id=f"lane-{n}@client.example") for n in range(20)]
        return await asyncio.gather(*(_post(path, raw, auth) for raw in [*mails, mails[0]]))

    answers = async_to_sync(burst)()

    assert [status for status, _headers, _body in answers] == [200] * 21
    bodies = [body for _status, _headers, body in answers]
    assert bodies.count(b'{"ok": true, "duplicate": true}') == 1
    assert InboundRecord.objects.filter(channel_account=account).count() == 20


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nope"}, 403),
        ({"X-Unidesk-Signature": "sha256=0"}, 403),
    ],
)
def test_the_lane_refuses_what_is_not_authenticated(headers, status) -> None:
    account = mailbox()
    raw = customer_mail()
    answer = async_to_sync(_post)(f"/api/v1/channels/email/{account.key}/raw", raw, headers)

    assert answer[0] == status
    assert InboundRecord.objects.count() == 0
    signed = async_to_sync(_post)(
        f"/api/v1/channels/email/{account.key}/raw", raw,
        {"X-Unidesk-Signature": signature(raw)},
    )  # fmt: skip
    assert signed[0] == 200


def test_raw_on_another_kind_is_not_taken_by_the_lane() -> None:
    status, _headers, _body = async_to_sync(_post)("/api/v1/channels/api/abc/raw", b"x", {})
    assert status in {403, 404}  # Django's answer, not the lane's
    assert InboundRecord.objects.count() == 0
