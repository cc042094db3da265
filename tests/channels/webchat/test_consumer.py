"""The widget's websocket against the real ASGI application and database: a visitor
writes, the message takes the one ingestion path, an agent's reply comes back through the
outbox, and whatever the visitor missed arrives from history when they reconnect."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.channels.webchat.conftest import Visitor, db
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import reply_send
from unidesk.customers.models import Identity
from unidesk.tickets.models import DeliveryStatus, Direction, Message, Ticket
from unidesk.tickets.services import note_add

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_visitor_message_becomes_a_ticket_in_the_channels_group(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _secret = chat
    visitor = Visitor(account.key)
    assert (await visitor.connect())[0]
    welcome = await visitor.hello()
    assert welcome["messages"] == []
    assert welcome["token"]

    ack = await visitor.say("m-1", "  Where is my order #123?  ")

    assert ack["id"] == "m-1"
    assert ack["message"]["text"] == "Where is my order #123?"
    assert ack["message"]["client_id"] == "m-1"
    ticket = await db(lambda: Ticket.objects.select_related("group").get())()
    assert ticket.channel == "webchat"
    assert ticket.group.name == "General"
    assert ticket.subject == "Where is my order #123?"
    identity = await db(lambda: Identity.objects.get(customer=ticket.requester_id))()
    assert identity.kind == "webchat"
    assert identity.value.startswith("visitor-")
    await visitor.close()


async def test_a_message_sent_again_after_a_reconnect_is_stored_once(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    first = Visitor(account.key)
    await first.connect()
    await first.hello()
    ack = await first.say("draft-7", "Hello")
    await first.close()

    again = Visitor(account.key)
    again.token = first.token
    await again.connect()
    welcome = await again.hello()
    repeat = await again.say("draft-7", "Hello")

    assert repeat["message"]["id"] == ack["message"]["id"]
    assert [m["id"] for m in welcome["messages"]] == [ack["message"]["id"]]
    assert await db(Message.objects.count)() == 1
    await again.close()


async def test_another_visitor_cannot_reach_a_message_by_guessing_its_id(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    anna, boris = Visitor(account.key), Visitor(account.key)
    for visitor in (anna, boris):
        await visitor.connect()
        await visitor.hello()
    await anna.say("1", "Anna's secret order")
    ack = await boris.say("1", "Boris asks")

    assert ack["message"]["text"] == "Boris asks"
    assert await db(Ticket.objects.count)() == 2
    await anna.close()
    await boris.close()


def _reply(ticket_id: int, agent: Agent, text: str) -> Message:
    ticket = Ticket.objects.get(pk=ticket_id)
    return reply_send(ticket=ticket, author=agent, text=text)


async def test_an_agents_reply_reaches_the_connected_visitor_through_the_outbox(
    chat: tuple[ChannelAccount, str], run_tasks: Any
) -> None:
    account, _ = chat
    agent = await db(lambda: factories.agent(groups=["General"], name="Anna"))()
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("q", "Do you ship to Kazan?")
    ticket_id = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket_id)()

    reply = await db(_reply)(ticket_id, agent, "Yes, in two days.")
    await db(run_tasks)()

    pushed = await visitor.receive_type("message")
    assert pushed["message"]["text"] == "Yes, in two days."
    assert pushed["message"]["author"] == "Anna"
    assert pushed["message"]["dir"] == "out"
    await visitor.send({"type": "read", "until": pushed["message"]["id"]})
    await visitor.send({"type": "ping"})
    await visitor.receive_type("pong")
    stored = await db(lambda: Message.objects.get(pk=reply.pk))()
    assert stored.delivery_status == DeliveryStatus.READ
    await visitor.close()


async def test_a_reply_sent_while_the_visitor_was_away_arrives_on_reconnect(
    chat: tuple[ChannelAccount, str], run_tasks: Any
) -> None:
    account, _ = chat
    agent = await db(lambda: factories.agent(groups=["General"]))()
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("q", "Hello?")
    await visitor.close()
    ticket_id = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket_id)()
    await db(_reply)(ticket_id, agent, "We are here.")
    await db(lambda: note_add(ticket=Ticket.objects.get(pk=ticket_id), author=agent,
                              text="internal: VIP customer"))()  # fmt: skip
    await db(run_tasks)()

    back = Visitor(account.key)
    back.token = visitor.token
    await back.connect()
    welcome = await back.hello(after=ack["message"]["id"])

    assert [m["text"] for m in welcome["messages"]] == ["We are here."]
    full = Visitor(account.key)
    full.token = visitor.token
    await full.connect()
    everything = await full.hello()
    texts = [m["text"] for m in everything["messages"]]
    assert texts == ["Hello?", "We are here."]
    assert not any("internal" in text for text in texts)
    await back.close()
    await full.close()


async def test_a_reply_waiting_in_the_outbox_is_not_shown_before_it_is_sent(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    agent = await db(lambda: factories.agent(groups=["General"]))()
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("q", "Hi")
    ticket_id = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket_id)()
    await db(_reply)(ticket_id, agent, "Queued reply")

    again = Visitor(account.key)
    again.token = visitor.token
    await again.connect()
    welcome = await again.hello()

    assert [m["text"] for m in welcome["messages"]] == ["Hi"]
    await visitor.close()
    await again.close()


async def test_the_visitors_other_tabs_see_what_it_writes(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    first = Visitor(account.key)
    await first.connect()
    await first.hello()
    second = Visitor(account.key)
    second.token = first.token
    await second.connect()
    await second.hello()

    await first.say("t1", "From the first tab")
    echoed = await second.receive_type("message")

    assert echoed["message"]["text"] == "From the first tab"
    assert echoed["message"]["client_id"] == "t1"
    await first.close()
    await second.close()


async def test_typing_goes_both_ways(chat: tuple[ChannelAccount, str]) -> None:
    from channels.layers import get_channel_layer

    from unidesk.channels.webchat.services import agent_typing
    from unidesk.core import realtime

    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("q", "Hi")
    ticket = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket)()
    layer = get_channel_layer()
    agents = await layer.new_channel()
    await layer.group_add(realtime.ticket_group(ticket.pk), agents)

    await visitor.send({"type": "typing", "active": True})
    seen = await layer.receive(agents)
    await db(agent_typing)(ticket=ticket, name="Anna", active=True)
    shown = await visitor.receive_type("typing")

    assert (seen["type"], seen["who"], seen["active"]) == ("ticket.typing", "customer", True)
    assert (shown["name"], shown["active"]) == ("Anna", True)
    await visitor.close()


async def test_agents_read_marks_reach_the_visitor(chat: tuple[ChannelAccount, str]) -> None:
    from unidesk.channels.webchat.services import agent_saw

    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("q", "Hi")
    ticket = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket)()

    await db(agent_saw)(ticket=ticket, until=ack["message"]["id"])
    read = await visitor.receive_type("read")
    again = Visitor(account.key)
    again.token = visitor.token
    await again.connect()
    welcome = await again.hello()

    assert read["until"] == ack["message"]["id"]
    assert welcome["read_until"] == ack["message"]["id"]
    await visitor.close()
    await again.close()


async def test_a_button_press_is_a_message_with_the_buttons_data(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()

    ack = await visitor.say("b1", "Talk to a person", button="bot:handover")

    message = await db(lambda: Message.objects.get(pk=ack["message"]["id"]))()
    assert message.metadata["button"] == "bot:handover"
    assert message.direction == Direction.IN
    await visitor.close()


async def test_a_reply_read_before_the_outbox_records_it_sent_stays_read(
    chat: tuple[ChannelAccount, str],
) -> None:
    from unidesk.channels import outbox
    from unidesk.channels.base import DeliveryResult
    from unidesk.channels.models import Delivery, DeliveryState
    from unidesk.core import realtime

    account, _ = chat
    agent = await db(lambda: factories.agent(groups=["General"]))()
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    ack = await visitor.say("q", "Hi")
    ticket_id = await db(lambda: Message.objects.get(pk=ack["message"]["id"]).ticket_id)()
    reply = await db(_reply)(ticket_id, agent, "Hello!")
    # The outbox claimed the delivery and the adapter pushed: the reply is still queued.
    await db(lambda: Delivery.objects.filter(message=reply).update(state=DeliveryState.SENDING))()
    group = realtime.visitor_group(account.pk, f"v:{visitor_public_id(visitor)}")
    await db(realtime.push)(group, {"type": "chat.message", "message_id": reply.pk})

    shown = await visitor.receive_type("message")
    await visitor.send({"type": "read", "until": shown["message"]["id"]})
    await visitor.send({"type": "ping"})
    await visitor.receive_type("pong")
    delivery = await db(lambda: Delivery.objects.select_related("message").get(message=reply))()
    await db(outbox._mark_sent)(delivery, DeliveryResult())

    stored = await db(lambda: Message.objects.get(pk=reply.pk))()
    assert shown["message"]["text"] == "Hello!"
    assert stored.delivery_status == DeliveryStatus.READ
    await visitor.close()


def visitor_public_id(visitor: Visitor) -> str:
    from unidesk.channels.webchat.identity import public_id_from

    assert visitor.token
    key = visitor.ws.scope["path"].split("/")[3]
    found = public_id_from(visitor.token, key)
    assert found
    return found


async def test_agents_see_where_the_visitor_writes_from(
    chat: tuple[ChannelAccount, str],
) -> None:
    from django.test import Client

    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello(page="https://shop.example/cart?step=2")
    await visitor.send({"type": "prechat", "name": "Пётр", "email": "petr@example.com"})
    await visitor.receive_type("profile")
    await visitor.say("1", "Hello")
    hostile = Visitor(account.key)
    await hostile.connect()
    await hostile.hello(page="javascript:alert(document.cookie)")
    await hostile.say("1", "Hi")

    def page(number_of: int) -> str:
        agent = factories.agent(groups=["General"])
        client = Client()
        client.force_login(agent)
        ticket = Ticket.objects.order_by("id")[number_of]
        return client.get(f"/t/{ticket.number}/").content.decode()

    first = await db(page)(0)
    second = await db(page)(1)
    assert "https://shop.example/cart?step=2" in first
    assert "petr@example.com" in first
    assert "not confirmed" in first
    assert "javascript:" not in second
    await visitor.close()
    await hostile.close()


async def test_the_visitors_language_goes_with_their_messages(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.send({"type": "hello", "lang": "ru-RU"})
    await visitor.receive_type("welcome")
    await visitor.send({"type": "message", "id": "x", "text": ""})
    refused = await visitor.receive_type("error")
    ack = await visitor.say("1", "Здравствуйте")

    message = await db(lambda: Message.objects.get(pk=ack["message"]["id"]))()
    assert message.metadata["webchat"]["language"] == "ru"
    assert refused["message"] == "Сообщение пустое."
    await visitor.close()
