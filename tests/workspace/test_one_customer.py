"""One customer across channels in the workspace: merge suggestions in the sidebar,
merging with a preview, linked and duplicate tickets, the channel of each message, and
the public marking — each tried with the wrong user too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.support.http import FakeServer, fake_server
from unidesk.accounts.models import Agent
from unidesk.channels.base import IdentityRef
from unidesk.channels.models import ChannelAccount
from unidesk.core.actor import Actor
from unidesk.crosschannel.models import MergeSuggestion, SuggestionState, TicketLink
from unidesk.customers.models import Customer, CustomerMerge
from unidesk.tickets.models import Message, Status, Ticket
from unidesk.tickets.services import customer_merge, ticket_update

HTMX = {"HX-Request": "true"}


@pytest.fixture
def callback() -> Any:
    with fake_server() as server:
        yield server


@pytest.fixture
def site(callback: FakeServer, db: None) -> ChannelAccount:
    account, _ = factories.channel(
        "api", group_name="General", settings={"callback_url": callback.url + "/replies"}
    )
    return account


@pytest.fixture
def chat(db: None) -> ChannelAccount:
    """A second inbox of the General group, standing for a messenger."""
    account, _ = factories.channel("api", name="Messenger", group_name="General")
    account.kind = "telegram"
    account.save(update_fields=["kind"])
    return account


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(reverse("workspace:ticket", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def _sidebar(html: str) -> str:
    return html.split('<aside class="sidebar">', 1)[1].split("</aside>", 1)[0]


@pytest.fixture
def suggested(site: ChannelAccount, chat: ChannelAccount, run_tasks: Any) -> dict[str, Any]:
    """Ivan is known by email; a Telegram customer writes Ivan's address."""
    known = factories.conversation(
        site, identity=("email", "ivan@example.com"), name="Иван Петров", text="Заказ 4411"
    ).ticket
    writing = factories.conversation(
        chat, identity=("telegram", "700100200"), name="Ivan", thread_key="700100200",
        text="Я уже писал вам с Ivan@Example.com",
    ).ticket  # fmt: skip
    run_tasks()
    return {"known": known, "writing": writing, "suggestion": MergeSuggestion.objects.get()}


# --- suggestions -----------------------------------------------------------------------------


def test_the_sidebar_suggests_a_merge_with_what_the_customer_wrote(
    agent_client: Client, suggested: dict[str, Any]
) -> None:
    writing, known = suggested["writing"], suggested["known"]

    sidebar = _sidebar(_page(agent_client, writing))

    assert "Possibly the same person" in sidebar
    assert "This customer wrote <strong>Ivan@Example.com</strong>" in sidebar
    assert "the email address of <strong>Иван Петров</strong>" in sidebar
    review = reverse("workspace:customer-merge", args=[writing.requester_id, known.requester_id])
    assert review in sidebar
    # The other customer's ticket shows the same suggestion, from its side.
    other_side = _sidebar(_page(agent_client, known))
    assert "<strong>Ivan</strong> wrote <strong>Ivan@Example.com</strong>" in other_side


def test_a_suggestion_is_dismissed_in_place_and_does_not_come_back(
    agent_client: Client, agent: Agent, suggested: dict[str, Any]
) -> None:
    suggestion = suggested["suggestion"]
    url = reverse("workspace:merge-suggestion-dismiss", args=[suggestion.pk])

    response = agent_client.post(url, headers=HTMX)

    assert response.status_code == 200
    assert response.content == b""
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.decided_by) == (SuggestionState.DISMISSED, agent)
    assert "Possibly the same person" not in _page(agent_client, suggested["writing"])


def test_trainees_see_no_suggestion_and_cannot_dismiss_one(
    client: Client, suggested: dict[str, Any]
) -> None:
    trainee = factories.agent(role="trainee", groups=["General"])
    client.force_login(trainee)
    suggestion = suggested["suggestion"]

    html = _page(client, suggested["writing"])
    response = client.post(reverse("workspace:merge-suggestion-dismiss", args=[suggestion.pk]))

    assert "Possibly the same person" not in html
    assert "Merge with another customer" not in html
    assert response.status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.PENDING


def test_an_agent_of_another_group_cannot_touch_a_suggestion(
    client: Client, outsider: Agent, suggested: dict[str, Any]
) -> None:
    client.force_login(outsider)
    suggestion = suggested["suggestion"]

    response = client.post(reverse("workspace:merge-suggestion-dismiss", args=[suggestion.pk]))

    assert response.status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.PENDING


# --- merging ---------------------------------------------------------------------------------


def test_merging_from_the_sidebar_previews_then_merges_and_returns_to_the_ticket(
    agent_client: Client, agent: Agent, suggested: dict[str, Any]
) -> None:
    writing, known = suggested["writing"], suggested["known"]
    ticket_url = reverse("workspace:ticket", args=[writing.number])
    url = reverse("workspace:customer-merge", args=[writing.requester_id, known.requester_id])

    preview = agent_client.get(url, {"next": ticket_url, "suggestion": suggested["suggestion"].pk})

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Suggested because Ivan wrote <strong>Ivan@Example.com</strong>" in html
    assert "Merged away" in html
    assert "Stays" in html
    assert "700100200" in html  # the identity that moves
    assert f"#{writing.number}" in html  # the ticket that moves
    assert "1 message, notes and replies included" in html
    assert "Merge Ivan into Иван Петров" in html
    assert not CustomerMerge.objects.exists()

    merged = agent_client.post(url, {"next": ticket_url})

    assert merged.status_code == 302
    assert merged["Location"] == ticket_url
    assert Ticket.objects.get(pk=writing.pk).requester_id == known.requester_id
    merge = CustomerMerge.objects.get()
    assert merge.actor_id == agent.pk
    page = agent_client.get(ticket_url).content.decode()
    assert "everything of Ivan now belongs to Иван Петров" in page
    assert "Possibly the same person" not in _sidebar(page)
    assert "Also writing now in:" in _sidebar(page)
    assert "changed the requester Ivan → Иван Петров" in page


def test_the_customer_page_finds_candidates_by_a_phone_number_however_it_is_typed(
    agent_client: Client, site: ChannelAccount, chat: ChannelAccount
) -> None:
    mine = factories.conversation(chat, identity=("telegram", "1"), name="Пётр").ticket.requester
    other = factories.conversation(
        site, identity=("phone", "+79123456789"), name="Петя"
    ).ticket.requester
    url = reverse("workspace:customer-merge-search", args=[mine.pk])

    full = agent_client.get(url, {"q": "8 (912) 345-67-89"})
    partial = agent_client.get(url, {"q": "Пет"}, headers={**HTMX, "HX-Target": "merge-candidates"})

    assert full.status_code == 200
    assert "Петя" in full.content.decode()
    # The customer created first stays by default: the newer one is merged into it.
    assert reverse("workspace:customer-merge", args=[other.pk, mine.pk]) in full.content.decode()
    candidates = partial.content.decode()
    assert "<html" not in candidates
    assert "Петя" in candidates
    assert "Пётр" not in candidates  # not offered to merge with himself


def test_the_customer_page_offers_merging_and_shows_every_channels_latest_messages(
    agent_client: Client, site: ChannelAccount, chat: ChannelAccount
) -> None:
    by_mail = factories.conversation(site, identity=("email", "i@example.com"), text="Письмо")
    by_chat = factories.conversation(chat, identity=("telegram", "9"), text="Сообщение в чате")
    customer_merge(
        source=by_chat.ticket.requester, target=by_mail.ticket.requester, actor=Actor.system()
    )

    html = agent_client.get(
        reverse("workspace:customer", args=[by_mail.ticket.requester_id])
    ).content.decode()

    assert "Merge with another customer" in html
    history = html.split('class="customer-history"', 1)[1]
    assert "Сообщение в чате" in history
    assert "Письмо" in history
    assert '<span class="message-channel">Telegram</span>' in history
    assert '<span class="message-channel">API</span>' in history


def test_a_trainee_cannot_open_the_merge_screens_nor_merge(
    client: Client, suggested: dict[str, Any]
) -> None:
    client.force_login(factories.agent(role="trainee", groups=["General"]))
    writing, known = suggested["writing"], suggested["known"]
    url = reverse("workspace:customer-merge", args=[writing.requester_id, known.requester_id])

    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    search = reverse("workspace:customer-merge-search", args=[writing.requester_id])
    assert client.get(search).status_code == 403
    assert not CustomerMerge.objects.exists()


def test_customers_of_another_group_cannot_be_merged_or_previewed(
    client: Client, outsider: Agent, suggested: dict[str, Any]
) -> None:
    client.force_login(outsider)
    writing, known = suggested["writing"], suggested["known"]
    url = reverse("workspace:customer-merge", args=[writing.requester_id, known.requester_id])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not CustomerMerge.objects.exists()


def test_merging_a_customer_into_itself_is_explained(
    agent_client: Client, suggested: dict[str, Any]
) -> None:
    writing, known = suggested["writing"], suggested["known"]
    customer_merge(source=writing.requester, target=known.requester, actor=Actor.system())
    url = reverse("workspace:customer-merge", args=[writing.requester_id, known.requester_id])

    response = agent_client.post(url)

    assert response.status_code == 422
    assert "These are already one customer." in response.content.decode()
    assert CustomerMerge.objects.count() == 1


def test_an_outside_next_address_is_not_followed(
    agent_client: Client, suggested: dict[str, Any]
) -> None:
    writing, known = suggested["writing"], suggested["known"]
    url = reverse("workspace:customer-merge", args=[writing.requester_id, known.requester_id])

    response = agent_client.post(url, {"next": "https://evil.example.com/"})

    assert response["Location"] == reverse("workspace:customer", args=[known.requester_id])


# --- linked tickets and duplicates -----------------------------------------------------------


def test_linking_a_related_ticket_by_its_number(agent_client: Client, site: ChannelAccount) -> None:
    first = factories.conversation(site, identity=("api", "a"), thread_key="1").ticket
    second = factories.conversation(site, identity=("api", "b"), thread_key="2").ticket

    response = agent_client.post(
        reverse("workspace:ticket-link", args=[first.number]),
        {"other": f"#{second.number}"},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tickets linked." in html
    assert 'aria-labelledby="links-title" hx-swap-oob="true"' in html
    links = html.split('id="ticket-links"', 1)[1].split("</section>", 1)[0]
    assert f"#{second.number}" in links
    assert f"linked this ticket to #{first.number}" in _page(agent_client, second)
    unlink = reverse("workspace:ticket-unlink", args=[first.number, second.number])
    assert unlink in links
    assert agent_client.post(unlink).status_code == 302
    assert not TicketLink.objects.exists()


@pytest.mark.parametrize("typed", ["abc", "", "999999"])
def test_a_wrong_ticket_number_is_explained(
    agent_client: Client, site: ChannelAccount, typed: str
) -> None:
    ticket = factories.conversation(site).ticket

    response = agent_client.post(
        reverse("workspace:ticket-link", args=[ticket.number]), {"other": typed}, headers=HTMX
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter a ticket number" in html or "There is no ticket with that number" in html
    assert not TicketLink.objects.exists()


def test_a_ticket_of_another_group_cannot_be_linked_nor_learnt_about(
    client: Client, outsider: Agent, site: ChannelAccount
) -> None:
    general = factories.conversation(site).ticket
    billing, _ = factories.channel("api", group_name="Billing")
    own = factories.conversation(billing).ticket
    client.force_login(outsider)

    from_own = client.post(
        reverse("workspace:ticket-link", args=[own.number]), {"other": str(general.number)}
    )
    from_general = client.post(
        reverse("workspace:ticket-link", args=[general.number]), {"other": str(own.number)}
    )
    duplicate = client.post(
        reverse("workspace:ticket-duplicate", args=[general.number]),
        {"original": str(own.number), "notify": "1"},
    )

    assert from_own.status_code == 422
    assert "There is no ticket with that number that you can open." in from_own.content.decode()
    assert (from_general.status_code, duplicate.status_code) == (404, 404)
    assert not TicketLink.objects.exists()
    assert Ticket.objects.get(pk=general.pk).status == Status.NEW


def test_closing_as_a_duplicate_from_the_sidebar_tells_the_customer(
    agent_client: Client, site: ChannelAccount, callback: FakeServer, run_tasks: Any
) -> None:
    by_site = factories.conversation(site, identity=("api", "ivan"), thread_key="s",
                                     text="Where is my order?").ticket  # fmt: skip
    by_chat = factories.conversation(site, identity=("api", "ivan"), thread_key="c",
                                     text="Order 4411, where is it?").ticket  # fmt: skip
    sidebar = _sidebar(_page(agent_client, by_chat))
    assert "Close as a duplicate" in sidebar
    assert f'<option value="{by_site.number}">' in sidebar

    response = agent_client.post(
        reverse("workspace:ticket-duplicate", args=[by_chat.number]),
        {"original": str(by_site.number), "notify": "1"},
        headers=HTMX,
    )
    run_tasks()

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Closed as a duplicate of #{by_site.number}; the customer is told" in html
    assert f"closed this ticket as a duplicate of #{by_site.number}" in html
    by_chat.refresh_from_db()
    assert by_chat.status == Status.CLOSED
    (sent,) = [r.json() for r in callback.requests]
    assert sent["message"]["text"].startswith("Thank you! We already have your earlier message")
    original_page = _page(agent_client, by_site)
    assert f"closed #{by_chat.number} as a duplicate of this ticket" in original_page
    assert "Its duplicate" in _sidebar(original_page)


def test_a_customer_without_another_open_ticket_is_told_why_there_is_no_choice(
    agent_client: Client, site: ChannelAccount
) -> None:
    ticket = factories.conversation(site).ticket

    sidebar = _sidebar(_page(agent_client, ticket))

    assert "This customer has no other open ticket you can see." in sidebar


# --- what the ticket page shows --------------------------------------------------------------


def test_a_merged_customers_ticket_names_the_channel_of_each_message(
    agent_client: Client, site: ChannelAccount, chat: ChannelAccount
) -> None:
    single = factories.conversation(site, identity=("api", "solo"), thread_key="x").ticket
    by_mail = factories.conversation(site, identity=("email", "i@example.com")).ticket
    by_chat = factories.conversation(chat, identity=("telegram", "9"), thread_key="9").ticket
    customer_merge(source=by_chat.requester, target=by_mail.requester, actor=Actor.system())

    merged = _page(agent_client, by_chat)
    alone = _page(agent_client, single)

    timeline = merged.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert '<span class="message-channel" title="Messenger">Telegram</span>' in timeline
    assert 'class="message-channel"' not in alone.split('id="timeline"', 1)[1]


def test_copies_and_public_tickets_are_shown_in_the_sidebar(
    agent_client: Client, site: ChannelAccount
) -> None:
    vk, _ = factories.channel("vk", group_name="General", settings={"group_id": "1"})
    private = factories.conversation(
        vk, identity=("vk", "51"), thread_key="51",
        cc=(IdentityRef("email", "wife@example.com"),),
    ).ticket  # fmt: skip
    wall = factories.conversation(
        vk, identity=("vk", "51"), thread_key="wall:-1_9:51", is_public=True
    ).ticket

    sidebar = _sidebar(_page(agent_client, private))

    assert "In copy" in sidebar
    assert "wife@example.com" in sidebar
    parallel = sidebar.split("Also writing now in:", 1)[1].split("</div>", 1)[0]
    assert f"VK #{wall.number}" in parallel
    assert '<span class="badge public">Public</span>' in parallel
    others = sidebar.split('class="other-tickets"', 1)[1]
    assert '<span class="badge public">Public</span>' in others


def test_a_parallel_conversation_in_a_hidden_group_is_named_without_a_link(
    client: Client, site: ChannelAccount
) -> None:
    billing, _ = factories.channel("telegram", group_name="Billing")
    general_agent = factories.agent(groups=["General"])
    cashier = factories.agent(name="Cashier Kate", groups=["Billing"])
    mine = factories.conversation(site, identity=("email", "ivan@example.com")).ticket
    theirs = factories.conversation(billing, identity=("email", "ivan@example.com")).ticket
    ticket_update(ticket=theirs, actor=Actor.system(), assignee=cashier)
    client.force_login(general_agent)

    sidebar = _sidebar(_page(client, mine))

    assert f"Telegram #{theirs.number}" in sidebar
    assert "Cashier Kate" in sidebar
    assert "in a group you do not see" in sidebar
    assert reverse("workspace:ticket", args=[theirs.number]) not in sidebar


def test_the_ticket_page_stays_cheap_with_links_suggestions_and_parallel_tickets(
    agent_client: Client, site: ChannelAccount, agent: Agent, suggested: dict[str, Any],
    *, django_assert_max_num_queries: Callable[..., Any],
) -> None:  # fmt: skip
    from unidesk.crosschannel.services import ticket_link

    writing = suggested["writing"]
    for i in range(8):
        other = factories.conversation(site, identity=("telegram", "700100200"),
                                       thread_key=f"o{i}").ticket  # fmt: skip
        ticket_link(ticket=writing, other=other, agent=agent)

    with django_assert_max_num_queries(22):
        html = _page(agent_client, writing)

    assert html.count('class="link link-related"') == 8
    assert Customer.objects.count() == 2
    assert Message.objects.count() >= 10
