""" "Also writing now in": a customer's other open conversations in other places, with
who is on them, shown on every one of those tickets — merged customers included."""

from __future__ import annotations

import pytest

from tests import factories
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import reply_send
from unidesk.core.actor import Actor
from unidesk.tickets.models import Status
from unidesk.tickets.selectors import parallel_conversations
from unidesk.tickets.services import customer_merge, note_add, ticket_update

pytestmark = pytest.mark.django_db


def _places(ticket, agent) -> list[tuple[int, list[str], bool]]:
    return [(c.ticket.pk, c.agents, c.visible) for c in parallel_conversations(ticket, agent)]


def test_three_channels_of_one_merged_customer_each_name_the_other_two(
    site: ChannelAccount, bot: ChannelAccount, supervisor
) -> None:
    vk, _ = factories.channel("vk", group_name="General", settings={"group_id": "1"})
    boris = factories.agent(name="Boris", groups=["General"])
    olga = factories.agent(name="Olga", groups=["General"])
    by_mail = factories.conversation(site, identity=("email", "ivan@example.com")).ticket
    by_chat = factories.conversation(bot, identity=("telegram", "7001"), thread_key="7001").ticket
    on_vk = factories.conversation(vk, identity=("vk", "51"), thread_key="51").ticket
    ivan = by_mail.requester
    customer_merge(source=by_chat.requester, target=ivan, actor=Actor.system())
    customer_merge(source=on_vk.requester, target=ivan, actor=Actor.system())
    ticket_update(ticket=by_chat, actor=Actor.system(), assignee=boris)
    reply_send(ticket=by_chat, author=olga, text="Смотрю ваш заказ")
    note_add(ticket=on_vk, author=olga, text="Это тот же Иван")
    by_chat.refresh_from_db()
    on_vk.refresh_from_db()

    assert _places(by_mail, supervisor) == [
        (on_vk.pk, ["Olga"], True),
        (by_chat.pk, ["Boris", "Olga"], True),
    ]
    assert [pk for pk, _agents, _visible in _places(by_chat, supervisor)] == [on_vk.pk, by_mail.pk]
    assert [pk for pk, _agents, _visible in _places(on_vk, supervisor)] == [by_chat.pk, by_mail.pk]


def test_solved_tickets_and_the_same_conversation_place_are_not_parallel(
    site: ChannelAccount, bot: ChannelAccount, supervisor
) -> None:
    first = factories.conversation(site, identity=("api", "c"), thread_key="1").ticket
    factories.conversation(site, identity=("api", "c"), thread_key="2")  # same inbox
    solved = factories.conversation(bot, identity=("api", "c"), thread_key="3").ticket
    ticket_update(ticket=solved, actor=Actor.system(), status=Status.SOLVED)

    assert _places(first, supervisor) == []


def test_the_public_thread_and_the_private_chat_of_one_community_are_two_places(
    supervisor,
) -> None:
    vk, _ = factories.channel("vk", group_name="General", settings={"group_id": "1"})
    wall = factories.conversation(
        vk, identity=("vk", "51"), thread_key="wall:-1_9:51", is_public=True
    ).ticket
    private = factories.conversation(vk, identity=("vk", "51"), thread_key="51").ticket

    assert _places(private, supervisor) == [(wall.pk, [], True)]
    assert _places(wall, supervisor) == [(private.pk, [], True)]


def test_a_conversation_in_a_group_the_agent_does_not_see_is_named_not_opened(
    site: ChannelAccount,
) -> None:
    billing, _ = factories.channel("telegram", group_name="Billing")
    general_agent = factories.agent(groups=["General"])
    cashier = factories.agent(name="Cashier", groups=["Billing"])
    mine = factories.conversation(site, identity=("email", "ivan@example.com")).ticket
    theirs = factories.conversation(billing, identity=("email", "ivan@example.com")).ticket
    ticket_update(ticket=theirs, actor=Actor.system(), assignee=cashier)

    assert _places(mine, general_agent) == [(theirs.pk, ["Cashier"], False)]
