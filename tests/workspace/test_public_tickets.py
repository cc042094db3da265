"""A public ticket (a comment under a VK post) is marked everywhere an agent meets it; the
composer warns that the answer is public, and offers to continue in private messages
where the platform allows it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.channels.services import reply_send
from unidesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
BADGE = '<span class="badge public">Public</span>'


@pytest.fixture
def vk_tickets() -> dict[str, Ticket]:
    vk, _ = factories.channel("vk", group_name="General", settings={"group_id": "218374"})
    wall = factories.conversation(
        vk, identity=("vk", "51230002"), thread_key="wall:-218374_934:51230002",
        external_id="comment:-218374_934_5511", is_public=True, text="Где мой возврат?",
        subject="Комментарий к посту",
    ).ticket  # fmt: skip
    private = factories.conversation(
        vk, identity=("vk", "51230002"), thread_key="51230002", text="Пишу в личку",
        subject="Личное сообщение",
    ).ticket  # fmt: skip
    return {"wall": wall, "private": private}


def _row(html: str, ticket: Ticket) -> str:
    return html.split(f">#{ticket.number}</a>", 1)[1].split("</tr>", 1)[0]


def test_a_public_ticket_is_marked_in_every_list(
    agent_client: Client, vk_tickets: dict[str, Ticket]
) -> None:
    wall, private = vk_tickets["wall"], vk_tickets["private"]
    pages = {
        "inbox": agent_client.get(reverse("workspace:home"), {"view": "unassigned"}),
        "search": agent_client.get(reverse("workspace:search"), {"q": "возврат"}),
        "customer": agent_client.get(reverse("workspace:customer", args=[wall.requester_id])),
    }

    for name, response in pages.items():
        html = response.content.decode()
        assert BADGE in _row(html, wall), name
        if f">#{private.number}</a>" in html:
            assert BADGE not in _row(html, private), name


def test_the_ticket_its_messages_and_the_answer_are_marked_public(
    agent_client: Client, agent: Agent, vk_tickets: dict[str, Ticket]
) -> None:
    wall = vk_tickets["wall"]
    reply_send(ticket=wall, author=agent, text="Ответили вам в личных сообщениях")

    html = agent_client.get(reverse("workspace:ticket", args=[wall.number])).content.decode()

    header = html.split('id="ticket-header"', 1)[1].split("</header>", 1)[0]
    assert "Public" in header
    timeline = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.count('<span class="message-kind message-public">Public</span>') == 2
    assert "This answer will be public" in html
    assert "Continue in private messages" in html


def test_a_private_ticket_has_no_public_mark_nor_warning(
    agent_client: Client, vk_tickets: dict[str, Ticket]
) -> None:
    private = vk_tickets["private"]

    html = agent_client.get(reverse("workspace:ticket", args=[private.number])).content.decode()

    header = html.split('id="ticket-header"', 1)[1].split("</header>", 1)[0]
    assert "badge public" not in header
    assert "message-public" not in html
    assert "This answer will be public" not in html
    assert "Continue in private messages" not in html


def test_where_the_platform_cannot_continue_privately_only_the_warning_is_shown(
    agent_client: Client,
) -> None:
    account, _ = factories.channel("api", group_name="General")
    public = factories.conversation(account, is_public=True, text="A public comment").ticket

    html = agent_client.get(reverse("workspace:ticket", args=[public.number])).content.decode()
    refused = agent_client.post(
        reverse("workspace:ticket-continue-privately", args=[public.number]), {"text": "Hi"}
    )

    assert "This answer will be public" in html
    assert "Continue in private messages" not in html
    assert refused.status_code == 422
    assert "cannot be moved to private messages" in refused.content.decode()
    assert Ticket.objects.count() == 1


def test_the_api_marks_public_tickets_and_messages(
    api_client: Any, agent: Agent, vk_tickets: dict[str, Ticket]
) -> None:
    client = api_client(agent)

    items = {t["number"]: t["is_public"] for t in client.get("/api/v1/tickets").json()["items"]}
    messages = client.get(f"/api/v1/tickets/{vk_tickets['wall'].pk}/messages").json()["items"]

    assert items == {vk_tickets["wall"].number: True, vk_tickets["private"].number: False}
    assert [m["is_public"] for m in messages] == [True]


def test_the_administration_lists_whether_a_ticket_is_public(
    client: Client, vk_tickets: dict[str, Ticket]
) -> None:
    client.force_login(factories.agent(role="admin"))

    html = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()

    assert "column-is_public" in html
