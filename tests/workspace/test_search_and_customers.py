from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.core.actor import Actor
from unidesk.tickets.models import Status
from unidesk.tickets.services import customer_merge, ticket_update

SEARCH = reverse("workspace:search")


def test_search_finds_a_ticket_by_another_form_of_a_russian_word(
    agent_client: Client, account: ChannelAccount
) -> None:
    wanted = factories.conversation(account, text="Мой заказ не пришёл", subject="Доставка").ticket
    other = factories.conversation(account, text="Как поменять пароль?").ticket

    html = agent_client.get(SEARCH, {"q": "заказы"}).content.decode()

    assert f"#{wanted.number}" in html
    assert f"#{other.number}" not in html


def test_search_looks_at_subjects_and_every_status(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = factories.conversation(account, text="Hello", subject="Refunds for March").ticket
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), status=Status.SOLVED)

    html = agent_client.get(SEARCH, {"q": "refund"}).content.decode()

    assert f"#{ticket.number}" in html


def test_search_never_shows_tickets_the_agent_may_not_see(
    client: Client, outsider: Agent, account: ChannelAccount
) -> None:
    factories.conversation(account, text="Секретный заказ")
    client.force_login(outsider)

    html = client.get(SEARCH, {"q": "заказ"}).content.decode()

    assert "No tickets match these words." in html
    assert 'class="ticket-row"' not in html


def test_an_empty_search_explains_itself_instead_of_listing_everything(
    agent_client: Client, account: ChannelAccount
) -> None:
    factories.conversation(account, text="Anything")

    html = agent_client.get(SEARCH).content.decode()

    assert 'class="ticket-row"' not in html
    assert "Type a word from a ticket" in html


def test_the_customer_page_lists_identities_and_tickets(
    agent_client: Client, account: ChannelAccount, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    first = factories.conversation(
        account, text="Первый вопрос", identity=("phone", "+7 999 123-45-67"), name="Пётр"
    ).ticket
    second = factories.conversation(
        account, text="Второй вопрос", identity=("phone", "+79991234567")
    ).ticket

    with django_assert_max_num_queries(10):
        response = agent_client.get(reverse("workspace:customer", args=[first.requester_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Пётр" in html
    assert "+79991234567" in html
    assert f"#{first.number}" in html
    assert f"#{second.number}" in html


def test_a_merged_customer_leads_to_the_one_it_was_merged_into(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    source = factories.conversation(account, identity=("email", "old@example.com")).ticket.requester
    target = factories.conversation(account, identity=("email", "new@example.com")).ticket.requester
    customer_merge(source=source, target=target, actor=Actor.for_agent(agent))

    response = agent_client.get(reverse("workspace:customer", args=[source.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:customer", args=[target.pk])


def test_a_customer_without_visible_tickets_is_not_found(
    client: Client, outsider: Agent, account: ChannelAccount
) -> None:
    customer = factories.conversation(account).ticket.requester
    client.force_login(outsider)

    assert client.get(reverse("workspace:customer", args=[customer.pk])).status_code == 404


def test_search_costs_the_same_queries_however_many_tickets_match(
    agent_client: Client,
    account: ChannelAccount,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for i in range(20):
        factories.conversation(account, text=f"Заказ номер {i}", identity=("vk", f"id{i}"))

    with django_assert_max_num_queries(7):
        html = agent_client.get(SEARCH, {"q": "заказа"}).content.decode()

    assert html.count('class="ticket-row"') == 20
