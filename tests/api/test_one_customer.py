"""The API for one customer across channels: merge preview, merging, suggestions, links,
duplicates and parallel conversations — with the wrong user on every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.support.http import fake_server
from unidesk.crosschannel.models import MergeSuggestion, TicketLink
from unidesk.customers.models import CustomerMerge
from unidesk.tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def callback() -> Any:
    with fake_server() as server:
        yield server


@pytest.fixture
def desk(callback, run_tasks) -> dict[str, Any]:
    """Ivan by email (General) and a chat customer who wrote Ivan's phone (General); a
    Billing ticket; an agent and a trainee of General, an agent of Billing."""
    general, _ = factories.channel(
        "api", group_name="General", settings={"callback_url": callback.url + "/r"}
    )
    billing, _ = factories.channel("api", group_name="Billing")
    ivan = factories.conversation(general, identity=("email", "ivan@example.com"),
                                  name="Иван", thread_key="i").ticket  # fmt: skip
    ivan.requester.identities.create(kind="phone", value="+79123456789")
    chat = factories.conversation(
        general, identity=("telegram", "7"), name="Ivan", thread_key="c",
        text="Мой номер 8 912 345 67 89",
    ).ticket  # fmt: skip
    hidden = factories.conversation(billing, identity=("email", "bob@example.com")).ticket
    run_tasks()
    return {
        "ivan": ivan, "chat": chat, "hidden": hidden,
        "agent": factories.agent(role="agent", groups=["General"]),
        "trainee": factories.agent(role="trainee", groups=["General"]),
        "outsider": factories.agent(role="agent", groups=["Billing"]),
    }  # fmt: skip


def test_preview_then_merge(desk, api_client) -> None:
    client: Client = api_client(desk["agent"])
    source, target = desk["chat"].requester_id, desk["ivan"].requester_id

    preview = client.get(f"/api/v1/customers/{source}/merge-preview", {"into": target})

    assert preview.status_code == 200
    body = preview.json()
    assert (body["source"]["id"], body["target"]["id"]) == (source, target)
    assert body["identities"] == [{"kind": "telegram", "value": "7", "verified": False}]
    assert [t["number"] for t in body["tickets"]] == [desk["chat"].number]
    assert (body["ticket_count"], body["hidden_tickets"], body["messages"]) == (1, 0, 1)
    assert body["name_after"] == "Иван"
    assert not CustomerMerge.objects.exists()

    merged = client.post(f"/api/v1/customers/{source}/merge", {"into": target}, content_type=JSON)

    assert merged.status_code == 200
    assert {i["value"] for i in merged.json()["identities"]} == {
        "ivan@example.com", "+79123456789", "7",
    }  # fmt: skip
    assert Ticket.objects.get(pk=desk["chat"].pk).requester_id == target


def test_a_merged_customers_messages_name_their_channel(desk, api_client) -> None:
    client = api_client(desk["agent"])
    telegram, _ = factories.channel("telegram", group_name="General")
    chat = factories.conversation(telegram, identity=("telegram", "7"), thread_key="7").ticket
    source, target = desk["chat"].requester_id, desk["ivan"].requester_id
    client.post(f"/api/v1/customers/{source}/merge", {"into": target}, content_type=JSON)
    client.post(f"/api/v1/tickets/{chat.pk}/messages", {"text": "note", "kind": "note"},
                content_type=JSON)  # fmt: skip

    items = client.get(f"/api/v1/tickets/{chat.pk}/messages").json()["items"]

    assert [(m["direction"], m["channel"]) for m in items] == [("in", "telegram"), ("note", "")]


def test_merge_refusals(desk, api_client) -> None:
    source, target = desk["chat"].requester_id, desk["ivan"].requester_id
    hidden = desk["hidden"].requester_id
    agent, trainee, outsider = (api_client(desk[k]) for k in ("agent", "trainee", "outsider"))

    as_trainee = trainee.post(f"/api/v1/customers/{source}/merge", {"into": target},
                              content_type=JSON)  # fmt: skip
    into_hidden = agent.post(f"/api/v1/customers/{source}/merge", {"into": hidden},
                             content_type=JSON)  # fmt: skip
    as_outsider = outsider.post(f"/api/v1/customers/{source}/merge", {"into": target},
                                content_type=JSON)  # fmt: skip
    into_itself = agent.post(f"/api/v1/customers/{source}/merge", {"into": source},
                             content_type=JSON)  # fmt: skip
    no_into = agent.post(f"/api/v1/customers/{source}/merge", {}, content_type=JSON)
    preview_hidden = agent.get(f"/api/v1/customers/{source}/merge-preview", {"into": hidden})
    preview_bad = agent.get(f"/api/v1/customers/{source}/merge-preview", {"into": "x"})

    assert as_trainee.status_code == 403
    assert as_trainee.json()["error"]["code"] == "forbidden"
    assert (into_hidden.status_code, as_outsider.status_code) == (404, 404)
    assert into_itself.status_code == 422
    assert into_itself.json()["error"]["fields"] == {"into": "same_customer"}
    assert no_into.status_code == 422
    assert "into" in no_into.json()["error"]["fields"]
    assert (preview_hidden.status_code, preview_bad.status_code) == (404, 422)
    assert not CustomerMerge.objects.exists()


def test_suggestions_are_listed_and_dismissed(desk, api_client) -> None:
    client = api_client(desk["agent"])
    chat_customer = desk["chat"].requester_id

    listed = client.get(f"/api/v1/customers/{chat_customer}/merge-suggestions").json()

    (suggestion,) = listed
    assert suggestion["candidate"] == desk["ivan"].requester_id
    assert suggestion["other"]["name"] == "Иван"
    assert (suggestion["kind"], suggestion["value"], suggestion["written"]) == (
        "phone", "+79123456789", "8 912 345 67 89",
    )  # fmt: skip
    assert suggestion["ticket"] == desk["chat"].pk
    assert suggestion["state"] == "pending"

    dismissed = client.post(f"/api/v1/merge-suggestions/{suggestion['id']}/dismiss")

    assert dismissed.status_code == 200
    assert dismissed.json()["state"] == "dismissed"
    assert client.get(f"/api/v1/customers/{chat_customer}/merge-suggestions").json() == []


def test_suggestions_with_the_wrong_user(desk, api_client) -> None:
    suggestion = MergeSuggestion.objects.get()
    chat_customer = desk["chat"].requester_id
    trainee, outsider = api_client(desk["trainee"]), api_client(desk["outsider"])

    assert trainee.get(f"/api/v1/customers/{chat_customer}/merge-suggestions").json() == []
    assert trainee.post(f"/api/v1/merge-suggestions/{suggestion.pk}/dismiss").status_code == 403
    assert outsider.get(f"/api/v1/customers/{chat_customer}/merge-suggestions").status_code == 404
    assert outsider.post(f"/api/v1/merge-suggestions/{suggestion.pk}/dismiss").status_code == 404
    assert Client().post(f"/api/v1/merge-suggestions/{suggestion.pk}/dismiss").status_code == 401
    suggestion.refresh_from_db()
    assert suggestion.state == "pending"


def test_links(desk, api_client) -> None:
    client = api_client(desk["agent"])
    ivan, chat = desk["ivan"], desk["chat"]

    created = client.post(f"/api/v1/tickets/{ivan.pk}/links", {"ticket": chat.pk},
                          content_type=JSON)  # fmt: skip

    assert created.status_code == 201
    (link,) = created.json()
    assert link["relation"] == "related"
    assert (link["ticket"]["id"], link["ticket"]["visible"]) == (chat.pk, True)
    assert client.get(f"/api/v1/tickets/{chat.pk}/links").json()[0]["ticket"]["id"] == ivan.pk

    assert client.delete(f"/api/v1/tickets/{chat.pk}/links/{ivan.pk}").status_code == 204
    assert client.delete(f"/api/v1/tickets/{chat.pk}/links/{ivan.pk}").status_code == 404
    assert not TicketLink.objects.exists()


def test_links_with_the_wrong_user_and_bad_input(desk, api_client) -> None:
    agent, outsider = api_client(desk["agent"]), api_client(desk["outsider"])
    ivan, hidden = desk["ivan"], desk["hidden"]

    to_hidden = agent.post(f"/api/v1/tickets/{ivan.pk}/links", {"ticket": hidden.pk},
                           content_type=JSON)  # fmt: skip
    from_hidden = outsider.post(f"/api/v1/tickets/{ivan.pk}/links", {"ticket": hidden.pk},
                                content_type=JSON)  # fmt: skip
    to_itself = agent.post(f"/api/v1/tickets/{ivan.pk}/links", {"ticket": ivan.pk},
                           content_type=JSON)  # fmt: skip
    extra = agent.post(f"/api/v1/tickets/{ivan.pk}/links", {"ticket": hidden.pk, "x": 1},
                       content_type=JSON)  # fmt: skip
    broken = agent.post(f"/api/v1/tickets/{ivan.pk}/links", "{", content_type=JSON)

    assert to_hidden.status_code == 422
    assert to_hidden.json()["error"]["fields"] == {"ticket": "not_found"}
    assert from_hidden.status_code == 404
    assert outsider.get(f"/api/v1/tickets/{ivan.pk}/links").status_code == 404
    assert to_itself.status_code == 422
    assert (extra.status_code, broken.status_code) == (422, 422)
    assert not TicketLink.objects.exists()


def test_closing_as_a_duplicate(desk, api_client, callback, run_tasks) -> None:
    client = api_client(desk["agent"])
    ivan = desk["ivan"]
    general = ivan.channel_account
    again = factories.conversation(
        general, identity=("email", "ivan@example.com"), thread_key="again",
        text="Where is my order?",
    ).ticket  # fmt: skip

    response = client.post(f"/api/v1/tickets/{again.pk}/duplicate", {"original": ivan.pk},
                           content_type=JSON)  # fmt: skip
    run_tasks()

    assert response.status_code == 200
    body = response.json()
    assert body["ticket"]["status"] == "closed"
    assert body["original"]["id"] == ivan.pk
    assert body["notice"]["text"].startswith("Thank you!")
    assert body["notice"]["origin"] == "system"
    (delivered,) = callback.requests
    assert delivered.json()["message"]["text"] == body["notice"]["text"]
    assert client.get(f"/api/v1/tickets/{ivan.pk}/links").json()[0]["relation"] == ("duplicated_by")
    twice = client.post(f"/api/v1/tickets/{again.pk}/duplicate", {"original": ivan.pk},
                        content_type=JSON)  # fmt: skip
    assert twice.status_code == 409


def test_duplicate_refusals(desk, api_client) -> None:
    agent, outsider = api_client(desk["agent"]), api_client(desk["outsider"])
    ivan, chat, hidden = desk["ivan"], desk["chat"], desk["hidden"]

    other_customer = agent.post(f"/api/v1/tickets/{chat.pk}/duplicate", {"original": ivan.pk},
                                content_type=JSON)  # fmt: skip
    into_hidden = agent.post(f"/api/v1/tickets/{chat.pk}/duplicate",
                             {"original": hidden.pk}, content_type=JSON)  # fmt: skip
    as_outsider = outsider.post(f"/api/v1/tickets/{chat.pk}/duplicate",
                                {"original": hidden.pk}, content_type=JSON)  # fmt: skip
    no_original = agent.post(f"/api/v1/tickets/{chat.pk}/duplicate", {"notify": False},
                             content_type=JSON)  # fmt: skip

    assert other_customer.status_code == 422
    assert other_customer.json()["error"]["fields"] == {"original": "other_customer"}
    assert into_hidden.status_code == 422
    assert as_outsider.status_code == 404
    assert no_original.status_code == 422
    assert Ticket.objects.get(pk=chat.pk).status == Status.NEW


def test_parallel_conversations(desk, api_client) -> None:
    billing_chat, _ = factories.channel("telegram", group_name="Billing")
    ivan = desk["ivan"]
    elsewhere = factories.conversation(billing_chat, identity=("email", "ivan@example.com")).ticket

    body = api_client(desk["agent"]).get(f"/api/v1/tickets/{ivan.pk}/parallel").json()

    assert body == [
        {
            "ticket": {
                "id": elsewhere.pk, "number": elsewhere.number, "channel": "telegram",
                "status": "new", "is_public": False, "visible": False, "subject": None,
                "assignee_name": None,
            },
            "agents": [],
        }
    ]  # fmt: skip
    assert api_client(desk["outsider"]).get(f"/api/v1/tickets/{ivan.pk}/parallel").status_code == (
        404
    )


def test_every_new_endpoint_needs_a_token(desk) -> None:
    ivan, customer = desk["ivan"], desk["ivan"].requester_id
    for method, url in (
        ("get", f"/api/v1/customers/{customer}/merge-preview?into=1"),
        ("get", f"/api/v1/customers/{customer}/merge-suggestions"),
        ("get", f"/api/v1/tickets/{ivan.pk}/links"),
        ("post", f"/api/v1/tickets/{ivan.pk}/links"),
        ("delete", f"/api/v1/tickets/{ivan.pk}/links/1"),
        ("post", f"/api/v1/tickets/{ivan.pk}/duplicate"),
        ("get", f"/api/v1/tickets/{ivan.pk}/parallel"),
    ):
        response = getattr(Client(), method)(url)
        assert response.status_code == 401, url
