"""Websocket routes: the chat widget's visitors, and agents' live workspace.

Visitors come from the customers' own sites, so their route checks the page's origin
against the channel's list itself; agents come from the desk's own pages, with the
session cookie, and are held to the desk's host names.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from unidesk.channels.webchat.consumers import VisitorConsumer
from unidesk.workspace.consumers import AgentConsumer


class DeskOriginValidator(OriginValidator):  # type: ignore[misc]
    """Pages of the desk itself: the origin must be one of ``ALLOWED_HOSTS``, read on
    each connection as Django reads it (channels' own validator reads it once)."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, [])

    @property  # type: ignore[override]
    def allowed_origins(self) -> list[str]:
        return list(settings.ALLOWED_HOSTS)

    @allowed_origins.setter
    def allowed_origins(self, value: list[str]) -> None:
        pass


websocket_urlpatterns: list[Any] = [
    path("ws/webchat/<str:key>/", VisitorConsumer.as_asgi()),
    path(
        "ws/agent/",
        DeskOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi())),
    ),
]
