"""Fixtures for the agent workspace: a channel whose conversations land in the group of
the ``agent`` fixture, and a local callback endpoint standing in for an outside system."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount


@pytest.fixture
def account(db: None) -> ChannelAccount:
    """An API channel without a callback URL: replies through it fail with a reason."""
    return factories.channel("api", group_name="General")[0]


@pytest.fixture
def outsider(db: None) -> Agent:
    """An agent of another group, who must not see the General group's tickets."""
    return factories.agent(role="agent", groups=["Billing"])


@pytest.fixture
def agent_client(client: Client, agent: Agent) -> Client:
    client.force_login(agent)
    return client


class _Accepting(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def callback_url() -> Iterator[str]:
    """A local HTTP endpoint that accepts every reply it is sent."""
    handler = type("Handler", (_Accepting,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/replies"
    finally:
        server.shutdown()
        server.server_close()
