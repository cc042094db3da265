from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.core.actor import Actor
from unidesk.tickets.models import Status, Ticket
from unidesk.tickets.services import ticket_update

INBOX = reverse("workspace:home")


def _ticket(account: ChannelAccount, text: str, **extra: Any) -> Ticket:
    return factories.conversation(account, text=text, **extra).ticket


def _rows(html: str) -> int:
    return html.count('class="ticket-row"')


def test_the_inbox_lists_my_groups_tickets_with_what_an_agent_needs_to_pick_one(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(
        account, "Где мой заказ?", identity=("email", "olga@example.com"), name="Ольга Петрова"
    )
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), assignee=agent, tags=["delivery"])

    response = agent_client.get(INBOX, {"view": "mine"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{ticket.number}" in html
    assert "Где мой заказ?" in html
    assert "Ольга Петрова" in html
    assert "API" in html  # the channel
    assert "Open" in html or "New" in html
    assert "Normal" in html
    assert agent.display_name in html
    assert "General" in html
    assert "delivery" in html
    ticket.refresh_from_db()
    # Last activity: the exact time, which the page's script shows as "… ago".
    assert f'<time datetime="{ticket.updated_at.isoformat()}" data-relative>' in html


def test_views_show_unsolved_counts_and_all_is_only_for_supervisors(
    client: Client, agent: Agent, supervisor: Agent, account: ChannelAccount
) -> None:
    mine = _ticket(account, "Assigned to me")
    ticket_update(ticket=mine, actor=Actor.for_agent(agent), assignee=agent)
    _ticket(account, "Nobody has it")
    solved = _ticket(account, "Already done")
    ticket_update(ticket=solved, actor=Actor.for_agent(agent), status=Status.SOLVED)

    client.force_login(agent)
    html = client.get(INBOX).content.decode()
    assert 'href="/?view=mine' in html
    assert 'href="/?view=unassigned' in html
    assert f"view=group%3A{agent.groups.get().pk}" in html
    assert "view=all" not in html
    counts = response_counts(html)
    assert counts == {"Mine": 1, "Unassigned": 1, "General": 2}

    client.force_login(supervisor)
    html = client.get(INBOX, {"view": "all"}).content.decode()
    assert response_counts(html)["All"] == 2
    assert _rows(html) == 2


def shown_counts(html: str) -> dict[str, str]:
    """Each inbox tab's label and count, as shown."""
    counts = {}
    for chunk in html.split('<span class="label">')[1:]:
        label, rest = chunk.split("</span>", 1)
        count = rest.split('<span class="count"', 1)[1].split(">", 1)[1].split("<", 1)[0]
        counts[label.strip()] = count.strip()
    return counts


def response_counts(html: str) -> dict[str, int]:
    return {label: int(count) for label, count in shown_counts(html).items()}


def test_an_agent_asking_for_all_tickets_gets_their_own_view(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    _ticket(account, "Unassigned one")

    html = agent_client.get(INBOX, {"view": "all"}).content.decode()

    assert 'aria-current="page"' in html.split("Mine")[0].rsplit("<a", 1)[1]
    assert _rows(html) == 0


def test_status_filter_shows_unsolved_by_default_and_each_status_on_request(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    open_ticket = _ticket(account, "Still open")
    solved = _ticket(account, "Done and dusted")
    ticket_update(ticket=solved, actor=Actor.for_agent(agent), status=Status.SOLVED)

    default = agent_client.get(INBOX, {"view": "unassigned"}).content.decode()
    only_solved = agent_client.get(INBOX, {"view": "unassigned", "status": "solved"})
    everything = agent_client.get(INBOX, {"view": "unassigned", "status": "all"})

    assert open_ticket.subject in default
    assert solved.subject not in default
    assert solved.subject in only_solved.content.decode()
    assert open_ticket.subject not in only_solved.content.decode()
    assert _rows(everything.content.decode()) == 2


def test_sorting_by_oldest_activity_reverses_the_list(
    agent_client: Client, account: ChannelAccount
) -> None:
    first = _ticket(account, "First to arrive")
    second = _ticket(account, "Second to arrive")

    newest = agent_client.get(INBOX, {"view": "unassigned"}).content.decode()
    oldest = agent_client.get(INBOX, {"view": "unassigned", "sort": "oldest"}).content.decode()

    assert newest.index(second.subject) < newest.index(first.subject)
    assert oldest.index(first.subject) < oldest.index(second.subject)


def test_paging_continues_with_the_cursor_and_htmx_gets_just_the_rows(
    agent_client: Client, account: ChannelAccount
) -> None:
    subjects = [f"Question number {i}" for i in range(53)]
    for subject in subjects:
        _ticket(account, subject)

    first = agent_client.get(INBOX, {"view": "unassigned"}).content.decode()
    assert _rows(first) == 50
    assert "Show more" in first
    next_url = first.split('class="load-more"')[1].split('href="', 1)[1].split('"', 1)[0]
    next_url = next_url.replace("&amp;", "&")

    more = agent_client.get(next_url, headers={"HX-Request": "true"})

    assert more.status_code == 200
    rows = more.content.decode()
    assert "<html" not in rows
    assert _rows(rows) == 3
    assert "Show more" not in rows
    shown = {s for s in subjects if f">{s}<" in first + rows}
    assert shown == set(subjects)


def test_a_damaged_cursor_is_explained_not_a_server_error(agent_client: Client) -> None:
    response = agent_client.get(INBOX, {"view": "unassigned", "cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert "This list cannot be continued from there." in response.content.decode()


def test_an_agent_does_not_see_other_groups_tickets(
    client: Client, outsider: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(account, "General question about delivery")
    client.force_login(outsider)

    html = client.get(INBOX, {"view": "unassigned"}).content.decode()

    assert ticket.subject not in html


@pytest.mark.parametrize("count", [3, 30])
def test_the_inbox_costs_the_same_queries_however_many_tickets_it_lists(
    agent_client: Client,
    agent: Agent,
    account: ChannelAccount,
    count: int,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for i in range(count):
        ticket = _ticket(account, f"Ticket {i}", identity=("email", f"c{i}@example.com"))
        ticket_update(ticket=ticket, actor=Actor.for_agent(agent), tags=["a", "b"])

    # Session, agent, groups; one capped count per view (mine, unassigned, the agent's one
    # group); the page of tickets with its tags and customers.
    with django_assert_max_num_queries(10):
        response = agent_client.get(INBOX, {"view": "unassigned"})

    assert _rows(response.content.decode()) == count


def test_counts_stop_at_the_cap_and_say_so(
    agent_client: Client, account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unidesk.tickets import selectors
    from unidesk.workspace import selectors as workspace_selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    monkeypatch.setattr(workspace_selectors, "COUNT_CAP", 2)
    for i in range(3):
        _ticket(account, f"Ticket {i}", identity=("email", f"c{i}@example.com"))

    html = agent_client.get(INBOX).content.decode()

    assert shown_counts(html) == {"Mine": "0", "Unassigned": "2+", "General": "2+"}
    assert _rows(agent_client.get(INBOX, {"view": "unassigned"}).content.decode()) == 3


def test_the_inbox_needs_a_login(client: Client) -> None:
    response = client.get(INBOX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workspace:login"))
