"""The production path for platform webhooks: the ASGI application hands them to a
Django handler without browser middleware, and stores them from a thread pool, many at
once. Exercised through the real ASGI application, with committed data."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync

from tests import factories
from tests.support.asgi import asgi_post as _post
from tests.support.asgi import post
from unidesk.channels.models import InboundRecord

pytestmark = pytest.mark.django_db(transaction=True)


def _call(n: int) -> bytes:
    return json.dumps({
        "call_id": f"lane-{n}", "direction": "inbound", "status": "missed",
        "caller": f"+7916000{n:04d}", "callee": "+78005553535",
    }).encode()  # fmt: skip


@pytest.fixture
def pbx():
    account, secret = factories.channel("phone")
    return f"/api/v1/channels/phone/{account.key}/webhook", {"Authorization": f"Bearer {secret}"}


def test_webhooks_arriving_together_are_all_stored(pbx) -> None:
    path, auth = pbx

    async def burst() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        return await asyncio.gather(*(_post(path, _call(n), auth) for n in range(20)))

    answers = async_to_sync(burst)()

    assert {status for status, _, _ in answers} == {200}
    assert all(headers[b"content-length"] == b"12" for _, headers, _ in answers)
    assert InboundRecord.objects.count() == 20


def test_a_burst_with_repeats_stores_each_delivery_once(pbx, run_tasks) -> None:
    path, auth = pbx

    async def burst() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        return await asyncio.gather(*(_post(path, _call(n % 5), auth) for n in range(30)))

    answers = async_to_sync(burst)()

    bodies = [body for _, _, body in answers]
    assert bodies.count(b'{"ok": true}') == 5
    assert bodies.count(b'{"ok": true, "duplicate": true}') == 25
    assert InboundRecord.objects.count() == 5
    run_tasks()
    assert set(InboundRecord.objects.values_list("state", flat=True)) == {"done"}


def test_the_lane_refuses_and_deduplicates_like_the_api(pbx) -> None:
    path, auth = pbx

    assert post(path, _call(1), auth)[2] == b'{"ok": true}'
    assert post(path, _call(1), auth)[2] == b'{"ok": true, "duplicate": true}'
    status, _, body = post(path, _call(2), {"Authorization": "Bearer nope"})
    assert status == 403
    assert json.loads(body)["error"]["code"] == "forbidden"
    assert post(path.replace("/phone/", "/vk/"), _call(3), auth)[0] == 404
    assert post(path, _call(4), auth, host="evil.example")[0] == 400
    assert InboundRecord.objects.count() == 1


def test_an_oversized_webhook_is_refused_before_it_is_read_whole(pbx) -> None:
    path, auth = pbx

    status, _, body = post(path, b"x" * (1024 * 1024 + 1), auth)

    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert InboundRecord.objects.count() == 0
