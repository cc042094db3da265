"""Fixtures for the chat widget: a web chat channel, and visitors talking to the real
ASGI application over an in-process websocket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers

from tests import factories
from tests.support.websocket import WebsocketClient
from unidesk.asgi import application
from unidesk.channels.models import ChannelAccount
from unidesk.core import realtime

ORIGIN = "https://shop.example"


@pytest.fixture(autouse=True)
def _fresh_channel_layer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own in-process layer (and event loop), after the pushes of
    the one before have gone (a push to a test's finished loop gives up in a second)."""
    monkeypatch.setattr(realtime, "PUSH_TIMEOUT", 1.0)
    realtime.settle()
    channel_layers.backends = {}
    yield
    realtime.settle()
    channel_layers.backends = {}


@pytest.fixture
def chat(transactional_db: None) -> tuple[ChannelAccount, str]:
    """A web chat channel whose conversations land in the General group."""
    return factories.channel("webchat", group_name="General")


class Visitor:
    """One browser tab with the widget: a websocket to the desk, and helpers for frames."""

    def __init__(self, key: str, *, origin: str = ORIGIN, ip: str = "203.0.113.5") -> None:
        headers = [(b"origin", origin.encode()), (b"user-agent", b"Mozilla/5.0 test")]
        self.ws = WebsocketClient(
            application, f"/ws/webchat/{key}/", headers=headers, client=(ip, 50000)
        )
        self.token: str | None = None

    async def connect(self) -> tuple[bool, int | None]:
        connected, code = await self.ws.connect()
        return connected, code

    async def send(self, frame: Any) -> None:
        await self.ws.send_text(json.dumps(frame))

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await self.ws.receive_text(timeout=timeout))
        return frame

    async def receive_type(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of ``kind``, skipping others (pushes may interleave)."""
        while True:
            frame = await self.receive(timeout=timeout)
            if frame["type"] == kind:
                return frame

    async def hello(self, **extra: Any) -> dict[str, Any]:
        await self.send({"type": "hello", "token": self.token, "lang": "en", **extra})
        welcome = await self.receive()
        assert welcome["type"] == "welcome", welcome
        self.token = welcome["token"]
        return welcome

    async def say(self, client_id: str, text: str, **extra: Any) -> dict[str, Any]:
        await self.send({"type": "message", "id": client_id, "text": text, **extra})
        return await self.receive_type("ack")

    async def close(self) -> None:
        await self.ws.disconnect()


def db(func: Any) -> Any:
    """Run ``func`` in the database thread, as consumers do."""
    return database_sync_to_async(func)
