"""Requests straight into the ASGI application, as the server hands them over (no Django
test client in between), for the parts that run outside Django's request cycle."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from unidesk.asgi import application

Answer = tuple[int, dict[bytes, bytes], bytes]


async def asgi_post(
    path: str, body: bytes, headers: dict[str, str], host: str = "127.0.0.1"
) -> Answer:
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
    answer_headers = {name.lower(): value for name, value in start["headers"]}
    return start["status"], answer_headers, content.get("body", b"")


def post(*args: Any, **kwargs: Any) -> Answer:
    return async_to_sync(asgi_post)(*args, **kwargs)
