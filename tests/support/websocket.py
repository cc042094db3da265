"""A websocket client for ASGI applications inside the test's event loop.

Channels ships one, but importing ``channels.testing`` needs Daphne (and Twisted) for
its live-server helper; this one speaks the ASGI websocket protocol directly over
asgiref's ``ApplicationCommunicator``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from asgiref.testing import ApplicationCommunicator


class WebsocketClient(ApplicationCommunicator):  # type: ignore[misc]
    def __init__(
        self,
        application: Any,
        path: str,
        *,
        headers: list[tuple[bytes, bytes]] | None = None,
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        parts = urlsplit(path)
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(b"host", b"testserver"), *(headers or [])],
            "client": client,
            "server": ("testserver", 80),
            "subprotocols": [],
        }
        super().__init__(application, scope)
        self.close_code: int | None = None

    async def connect(self, timeout: float = 5) -> tuple[bool, int | None]:
        """Open the connection; (True, None) when accepted, (False, code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(timeout)
        if answer["type"] == "websocket.accept":
            return True, None
        self.close_code = answer.get("code", 1000)
        return False, self.close_code

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        await self.send_input({"type": "websocket.receive", "bytes": data})

    async def receive_text(self, timeout: float = 5) -> str:
        answer = await self.receive_output(timeout)
        if answer["type"] == "websocket.close":
            self.close_code = answer.get("code", 1000)
            raise ConnectionClosed(self.close_code)
        text: str = answer["text"]
        return text

    async def receive_close(self, timeout: float = 5) -> int:
        """Wait for the server to close the connection; returns the close code."""
        while True:
            answer = await self.receive_output(timeout)
            if answer["type"] == "websocket.close":
                self.close_code = answer.get("code", 1000)
                return self.close_code

    async def nothing_more(self, timeout: float = 0.2) -> bool:
        return bool(await self.receive_nothing(timeout))

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


class ConnectionClosed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"the server closed the connection ({code})")
        self.code = code
