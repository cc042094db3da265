"""Copies (CC/BCC) of an email ticket through the API, with the permission rule."""

from __future__ import annotations

import pytest

from tests import factories
from tests.channels.email.support import customer_mail, mailbox, post_raw
from unidesk.tickets.models import Activity, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(run_tasks) -> Ticket:
    post_raw(mailbox(acknowledge="off"), customer_mail(cc="boss@client.example"))
    run_tasks()
    return Ticket.objects.get()


def test_agents_list_add_and_remove_copies(api_client, ticket) -> None:
    agent = factories.agent(role="agent", groups=["Support"])
    client = api_client(agent)
    url = f"/api/v1/tickets/{ticket.pk}/copies"

    assert [c["address"] for c in client.get(url).json()] == ["boss@client.example"]
    added = client.post(url, {"address": "Auditor@Client.Example", "blind": True},
                        content_type="application/json")  # fmt: skip
    assert added.status_code == 201
    assert added.json()["address"] == "auditor@client.example"
    assert added.json()["role"] == "bcc"

    listed = client.get(url).json()
    assert [(c["address"], c["role"]) for c in listed] == [
        ("auditor@client.example", "bcc"), ("boss@client.example", "cc"),
    ]  # fmt: skip
    boss = next(c for c in listed if c["role"] == "cc")
    assert client.delete(f"{url}/{boss['id']}").status_code == 204
    assert [c["address"] for c in client.get(url).json()] == ["auditor@client.example"]
    assert client.delete(f"{url}/{boss['id']}").status_code == 404
    assert Activity.objects.filter(ticket=ticket, field="cc", old_value="boss@client.example",
                                   actor_id=agent.pk).exists()  # fmt: skip


def test_bad_addresses_and_the_customer_are_refused(api_client, ticket) -> None:
    client = api_client(factories.agent(role="agent", groups=["Support"]))
    url = f"/api/v1/tickets/{ticket.pk}/copies"

    bad = client.post(url, {"address": "not an address"}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"address": "invalid"}
    own = client.post(url, {"address": "olga@client.example"}, content_type="application/json")
    assert own.status_code == 422
    assert own.json()["error"]["fields"] == {"address": "requester"}


def test_another_groups_agent_sees_no_such_ticket(api_client, ticket) -> None:
    outsider = api_client(factories.agent(role="agent", groups=["Billing"]))
    url = f"/api/v1/tickets/{ticket.pk}/copies"

    assert outsider.get(url).status_code == 404
    added = outsider.post(url, {"address": "spy@evil.example"}, content_type="application/json")
    assert added.status_code == 404
    assert ticket.participants.count() == 1


def test_tickets_of_other_channels_have_no_copies(api_client) -> None:
    account, _ = factories.channel("api", group_name="Support")
    other = factories.conversation(account, identity=("api", "crm-1")).ticket
    client = api_client(factories.agent(role="agent", groups=["Support"]))

    response = client.post(f"/api/v1/tickets/{other.pk}/copies", {"address": "a@b.example"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"address": "not_email"}
