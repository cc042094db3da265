"""Websocket routes (agent workspace, chat widget)."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
