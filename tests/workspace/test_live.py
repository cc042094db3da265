"""The live workspace over the real ASGI application: agents hear of changes on every
channel as they commit (only for tickets they may see), see who else is on a ticket and
who is typing, and are warned before a second answer to one question goes out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import Client

from tests import factories
from tests.channels.webchat.conftest import Visitor
from tests.support.websocket import WebsocketClient
from unidesk.accounts.models import Agent
from unidesk.asgi import application
from unidesk.channels.models import ChannelAccount
from unidesk.core import realtime
from unidesk.core.actor import Actor
from unidesk.tickets.models import Message
from unidesk.tickets.services import ticket_update

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _fresh_channel_layer(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(realtime, "PUSH_TIMEOUT", 1.0)
    realtime.settle()
    channel_layers.backends = {}
    yield
    realtime.settle()
    channel_layers.backends = {}


class Desk:
    """One agent's open workspace: the live websocket with their session."""

    def __init__(self, session: str | None, *, origin: str = "http://testserver") -> None:
        headers = [(b"origin", origin.encode())]
        if session is not None:
            headers.append((b"cookie", f"sessionid={session}".encode()))
        self.ws = WebsocketClient(application, "/ws/agent/", headers=headers)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(frame))

    async def next(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(await self.ws.receive_text(timeout))
            if frame["type"] == kind:
                return frame

    async def facts(self, timeout: float = 0.5) -> list[dict[str, Any]]:
        """Every ticket fact that arrives within ``timeout``."""
        found = []
        while not await self.ws.receive_nothing(timeout):
            frame = json.loads(await self.ws.receive_text())
            if frame["type"] == "ticket":
                found.append(frame["fact"])
        return found


def _session_of(agent: Agent) -> str:
    client = Client()
    client.force_login(agent)
    return str(client.cookies["sessionid"].value)


async def open_desk(agent: Agent | None, *, origin: str = "http://testserver") -> Desk:
    session = await db(_session_of)(agent) if agent is not None else None
    return Desk(session, origin=origin)


@pytest.fixture
def chat(transactional_db: None) -> ChannelAccount:
    return factories.channel("webchat", group_name="General")[0]


async def _agent(**kwargs: Any) -> Agent:
    return await db(factories.agent)(**kwargs)


pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_only_signed_in_agents_from_the_desks_own_pages_connect(
    chat: ChannelAccount,
) -> None:
    anna = await _agent(groups=["General"])

    assert (await (await open_desk(None)).ws.connect())[0] is False
    assert (await (await open_desk(anna, origin="https://evil.example")).ws.connect())[0] is False
    assert (await (await open_desk(anna)).ws.connect())[0] is True


async def test_a_visitor_message_reaches_the_agents_of_its_group_and_nobody_else(
    chat: ChannelAccount,
) -> None:
    anna = await _agent(groups=["General"])
    boris = await _agent(groups=["Billing"])
    chief = await _agent(role="supervisor")
    desks = {name: await open_desk(agent) for name, agent in (("anna", anna), ("boris", boris),
                                                    ("chief", chief))}  # fmt: skip
    for desk in desks.values():
        assert (await desk.ws.connect())[0]
    visitor = Visitor(chat.key)
    await visitor.connect()
    await visitor.hello()

    await visitor.say("1", "My parcel is lost")
    anna_facts = await desks["anna"].facts()
    boris_facts = await desks["boris"].facts()
    chief_facts = await desks["chief"].facts()

    kinds = {fact["kind"] for fact in anna_facts}
    assert {"created", "message"} <= kinds
    created = next(fact for fact in anna_facts if fact["kind"] == "created")
    assert created["mine"] is True
    assert created["channel"] == "webchat"
    assert created["message"]["text"] == "My parcel is lost"
    assert boris_facts == []
    assert {fact["kind"] for fact in chief_facts} >= {"created", "message"}
    assert all(fact["mine"] is False for fact in chief_facts)


async def test_every_channel_is_live_and_a_ticket_leaving_the_view_says_so(
    chat: ChannelAccount,
) -> None:
    anna = await _agent(groups=["General"])
    desk = await open_desk(anna)
    await desk.ws.connect()
    account, _ = await db(factories.channel)("api", group_name="General")

    result = await db(factories.conversation)(account, text="Sent over the API")
    arrived = await desk.facts()
    billing = await db(factories.group)("Billing")
    await db(ticket_update)(ticket=result.ticket, actor=Actor.system(), group=billing)
    moved = await desk.facts()

    assert any(f["kind"] == "message" and f["channel"] == "api" for f in arrived)
    assert moved == [{"ticket": result.ticket.pk, "kind": "gone"}]


async def test_an_agent_cannot_watch_a_ticket_they_may_not_see(chat: ChannelAccount) -> None:
    boris = await _agent(groups=["Billing"])
    account, _ = await db(factories.channel)("api", group_name="General")
    result = await db(factories.conversation)(account)
    desk = await open_desk(boris)
    await desk.ws.connect()

    await desk.send({"type": "watch", "ticket": result.ticket.number})
    refused = await desk.next("error")

    assert refused["code"] == "not_found"


async def _watch(desk: Desk, number: int) -> None:
    await desk.send({"type": "watch", "ticket": number})
    await desk.next("watching")


async def test_colleagues_see_each_other_viewing_and_replying(chat: ChannelAccount) -> None:
    anna = await _agent(groups=["General"], name="Anna")
    oleg = await _agent(groups=["General"], name="Oleg")
    visitor = Visitor(chat.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("1", "Hello")
    ticket = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket)()
    first, second = await open_desk(anna), await open_desk(oleg)
    await first.ws.connect()
    await second.ws.connect()

    await _watch(first, ticket.number)
    await _watch(second, ticket.number)
    seen_by_oleg = await second.next("presence")
    seen_by_anna = await first.next("presence")
    await first.send({"type": "typing", "active": True, "mode": "reply"})
    replying = await second.next("presence")
    typing_for_visitor = await visitor.receive_type("typing")
    await first.ws.disconnect()
    left = await second.next("presence")

    assert (seen_by_oleg["name"], seen_by_oleg["state"]) == ("Anna", "viewing")
    assert (seen_by_anna["name"], seen_by_anna["state"]) == ("Oleg", "viewing")
    assert replying["state"] == "replying"
    assert typing_for_visitor == {"type": "typing", "name": "Anna", "active": True}
    assert left["state"] == "left"
    await visitor.close()


async def test_a_note_being_written_is_not_shown_to_the_customer(chat: ChannelAccount) -> None:
    anna = await _agent(groups=["General"], name="Anna")
    visitor = Visitor(chat.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("1", "Hello")
    ticket = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket)()
    desk = await open_desk(anna)
    await desk.ws.connect()
    await _watch(desk, ticket.number)

    await desk.send({"type": "typing", "active": True, "mode": "note"})
    await desk.send({"type": "ping"})
    await desk.next("pong")

    assert await visitor.ws.receive_nothing(0.3)
    await visitor.close()


async def test_the_customer_typing_and_the_agents_read_marks(chat: ChannelAccount) -> None:
    anna = await _agent(groups=["General"])
    visitor = Visitor(chat.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("1", "Hello")
    ticket = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket)()
    desk = await open_desk(anna)
    await desk.ws.connect()
    await _watch(desk, ticket.number)

    await visitor.send({"type": "typing", "active": True})
    typing = await desk.next("typing")
    await desk.send({"type": "seen", "message": ack["message"]["id"]})
    read = await visitor.receive_type("read")

    assert (typing["who"], typing["active"]) == ("customer", True)
    assert read["until"] == ack["message"]["id"]
    await visitor.close()


async def test_bad_frames_from_a_workspace_are_refused_politely(chat: ChannelAccount) -> None:
    anna = await _agent(groups=["General"])
    desk = await open_desk(anna)
    await desk.ws.connect()

    for frame in ("nonsense", "[]", json.dumps({"type": "watch", "ticket": "1; drop"}),
                  json.dumps({"type": "fly"}), "x" * 10_000):  # fmt: skip
        await desk.ws.send_text(frame)
        assert (await desk.next("error"))["code"] in {"malformed", "unknown_type"}
    await desk.send({"type": "ping"})
    assert (await desk.next("pong"))["type"] == "pong"
