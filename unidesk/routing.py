"""Websocket routes: the chat widget's visitors, and agents' live workspace.

Visitors come from the customers' own sites, so their route checks the page's origin
against the channel's list itself; agents come from the desk's own pages, with the
session cookie, and are held to the desk's host names.
"""

from __future__ import annotations

from typing import Any

from django.urls import path

from unidesk.channels.webchat.consumers import VisitorConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/webchat/<str:key>/", VisitorConsumer.as_asgi()),
]
