"""The production path for platform webhooks: the ASGI application hands them to a
Django handler without browser middleware, and stores them from a thread pool, many at
once. Exercised through the real ASGI application, with committed data."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from tests import factories
from unidesk.asgi import application
from unidesk.channels.models import InboundRecord

pytestmark = pytest.mark.django_db(transaction=True)


async def _post(path: str, body: bytes, headers: dict[str, str], host: str = "127.0.0.1"):
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 40000),
        "headers": [(b"host", host.encode()), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(timeout=20)
    content = await communicator.receive_output(timeout=20)
    await communicator.wait(timeout=5)
    headers = {name.lower(): value for name, value in start["headers"]}
    return start["status"], headers, content.get("body", b"")


def post(*args: Any, **kwargs: Any) -> tuple[int, dict[bytes, bytes], bytes]:
    return async_to_sync(_post)(*args, **kwargs)


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
