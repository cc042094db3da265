"""The agent-facing REST API: tickets, messages, customers, directory, errors."""

import base64

import pytest
import time_machine
from django.test import Client

from tests import factories
from unidesk.accounts.services import token_revoke
from unidesk.channels.base import IdentityRef
from unidesk.channels.models import Delivery
from unidesk.core.actor import Actor
from unidesk.tickets.models import Status, Ticket
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    """Two groups with one ticket each, an agent in General, a supervisor."""
    general, _ = factories.channel("api", group_name="General")
    billing, _ = factories.channel("api", group_name="Billing")
    mine = factories.conversation(general, identity=("email", "ann@example.com"),
                                  text="Заказы не пришли").ticket  # fmt: skip
    other = factories.conversation(billing, identity=("email", "bob@example.com"),
                                   text="Refund please").ticket  # fmt: skip
    agent = factories.agent(role="agent", groups=["General"])
    trainee = factories.agent(role="trainee", groups=["General"])
    supervisor = factories.agent(role="supervisor")
    return {"mine": mine, "other": other, "agent": agent, "trainee": trainee,
            "supervisor": supervisor}  # fmt: skip


def numbers(response) -> set[int]:
    return {item["number"] for item in response.json()["items"]}


def test_without_a_token_every_endpoint_is_401(desk) -> None:
    for url in ("/api/v1/tickets", f"/api/v1/tickets/{desk['mine'].pk}", "/api/v1/me",
                "/api/v1/groups", "/api/v1/customers"):  # fmt: skip
        response = Client().get(url)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_revoked_token_stops_working(desk) -> None:
    token = factories.api_token(desk["agent"])
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/me").status_code == 200

    token_revoke(agent=desk["agent"], token_id=desk["agent"].api_tokens.get().pk)

    assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_agent_cannot_use_the_api(desk, api_client) -> None:
    client = api_client(desk["agent"])
    desk["agent"].is_active = False
    desk["agent"].save()

    assert client.get("/api/v1/tickets").status_code == 401


@pytest.mark.parametrize(
    ("who", "sees_other_group"),
    [("agent", False), ("trainee", False), ("supervisor", True)],
)
def test_permissions_follow_groups_and_roles(desk, api_client, who, sees_other_group) -> None:
    client = api_client(desk[who])
    other = desk["other"]

    listed = numbers(client.get("/api/v1/tickets"))
    detail = client.get(f"/api/v1/tickets/{other.pk}")

    assert (other.number in listed) is sees_other_group
    assert detail.status_code == (200 if sees_other_group else 404)
    assert client.get(f"/api/v1/tickets/{other.pk}/messages").status_code == detail.status_code
    patch = client.patch(f"/api/v1/tickets/{other.pk}", {"priority": "high"},
                         content_type="application/json")  # fmt: skip
    assert patch.status_code == detail.status_code
    post = client.post(f"/api/v1/tickets/{other.pk}/messages", {"text": "hi"},
                       content_type="application/json")  # fmt: skip
    assert post.status_code == (201 if sees_other_group else 404)


def test_a_ticket_assigned_to_an_agent_outside_its_group_is_visible_to_them(desk, api_client):
    supervisor = api_client(desk["supervisor"])
    other = desk["other"]
    supervisor.patch(f"/api/v1/tickets/{other.pk}", {"assignee": desk["agent"].pk},
                     content_type="application/json")  # fmt: skip

    response = api_client(desk["agent"]).get(f"/api/v1/tickets/{other.pk}")

    assert response.status_code == 200


def test_a_ticket_has_the_contract_fields(desk, api_client) -> None:
    ticket = desk["mine"]

    body = api_client(desk["agent"]).get(f"/api/v1/tickets/{ticket.pk}").json()

    for field in ("id", "number", "subject", "status", "priority", "channel", "is_public",
                  "group", "assignee", "customer", "tags", "created_at", "updated_at",
                  "first_response_at", "solved_at"):  # fmt: skip
        assert field in body
    assert body["number"] == ticket.number
    assert body["status"] == "new"
    assert body["priority"] == "normal"
    assert body["channel"] == "api"
    assert body["customer"] == ticket.requester_id
    assert body["tags"] == []


def test_a_ticket_shows_who_is_in_copy(api_client) -> None:
    account, _ = factories.channel("api", group_name="General")
    ticket = factories.conversation(
        account, identity=("email", "boss@example.com"),
        cc=(IdentityRef("email", "Assistant@Example.com"),),
    ).ticket  # fmt: skip

    body = api_client(factories.agent(groups=["General"])).get(f"/api/v1/tickets/{ticket.pk}")

    assert body.json()["participants"] == [
        {"kind": "email", "value": "assistant@example.com", "role": "cc"}
    ]


def test_list_filters(desk, api_client) -> None:
    client = api_client(desk["supervisor"])
    mine, other = desk["mine"], desk["other"]

    assert numbers(client.get("/api/v1/tickets", {"group": mine.group_id})) == {mine.number}
    assert numbers(client.get("/api/v1/tickets", {"customer": other.requester_id})) == {
        other.number
    }
    assert numbers(client.get("/api/v1/tickets", {"status": "solved"})) == set()
    assert numbers(client.get("/api/v1/tickets", {"assignee": "none"})) == {
        mine.number, other.number,
    }  # fmt: skip
    assert numbers(client.get("/api/v1/tickets", {"channel": "email"})) == set()
    assert numbers(client.get("/api/v1/tickets", {"q": "заказ"})) == {mine.number}
    assert numbers(client.get("/api/v1/tickets", {"q": "refunds"})) == {other.number}


def test_updated_since_assignee_and_tag_filters(api_client) -> None:
    account, _ = factories.channel("api", group_name="General")
    olga = factories.agent(groups=["General"])
    with time_machine.travel("2026-03-01T09:00:00+03:00", tick=False):
        early = factories.conversation(account).ticket
    with time_machine.travel("2026-03-02T09:00:00+03:00", tick=False):
        late = factories.conversation(account).ticket
        ticket_update(ticket=late, actor=Actor.system(), assignee=olga, tags=["vip"])
    client = api_client(factories.agent(role="admin"))

    since = client.get("/api/v1/tickets", {"updated_since": "2026-03-01T12:00:00+03:00"})
    exact = client.get("/api/v1/tickets", {"updated_since": "2026-03-01T06:00:00Z"})
    naive = client.get("/api/v1/tickets", {"updated_since": "2026-03-01T12:00:00"})

    assert numbers(since) == {late.number}
    assert numbers(exact) == {early.number, late.number}  # the same moment counts
    assert naive.status_code == 422
    assert "updated_since" in naive.json()["error"]["fields"]
    assert numbers(client.get("/api/v1/tickets", {"assignee": olga.pk})) == {late.number}
    assert numbers(client.get("/api/v1/tickets", {"tag": "VIP"})) == {late.number}
    assert numbers(client.get("/api/v1/tickets", {"assignee": "none"})) == {early.number}


def test_a_list_without_filter_includes_solved_and_closed_newest_activity_first(desk, api_client):
    client = api_client(desk["supervisor"])
    client.patch(f"/api/v1/tickets/{desk['mine'].pk}", {"status": "closed"},
                 content_type="application/json")  # fmt: skip

    items = client.get("/api/v1/tickets").json()["items"]

    assert [i["number"] for i in items] == [desk["mine"].number, desk["other"].number]
    assert items[0]["status"] == "closed"


def test_cursor_pagination_walks_every_ticket_once(api_client) -> None:
    account, _ = factories.channel("api")
    created = {factories.conversation(account).ticket.number for _ in range(7)}
    client = api_client(factories.agent(role="admin"))

    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", params).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(created)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"status": "sleeping"}, "status"),
     ({"cursor": "garbage"}, "cursor"), ({"sort": "random"}, "sort"),
     ({"assignee": "someone"}, "assignee"), ({"updated_since": "last week"}, "updated_since"),
     ({"group": "x"}, "group")],
)  # fmt: skip
def test_bad_list_parameters_are_422(desk, api_client, params, field) -> None:
    response = api_client(desk["agent"]).get("/api/v1/tickets", params)

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_patch_changes_and_logs_each_field(desk, api_client) -> None:
    client = api_client(desk["agent"])
    ticket = desk["mine"]
    billing = desk["other"].group

    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {"status": "pending", "priority": "urgent", "tags": ["VIP", "delivery"],
         "assignee": desk["agent"].pk, "group": billing.pk},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["priority"], body["tags"]) == (
        "pending", "urgent", ["delivery", "vip"],
    )  # fmt: skip
    assert body["assignee"] == desk["agent"].pk
    assert body["group"] == billing.pk
    logged = set(Ticket.objects.get(pk=ticket.pk).activities.values_list("field", flat=True))
    assert {"status", "priority", "tags", "assignee", "group"} <= logged


def test_patch_accepts_on_hold_and_null_clears(desk, api_client) -> None:
    client = api_client(desk["supervisor"])
    url = f"/api/v1/tickets/{desk['mine'].pk}"
    client.patch(url, {"assignee": desk["agent"].pk}, content_type="application/json")

    body = client.patch(url, {"status": "on_hold", "assignee": None},
                        content_type="application/json").json()  # fmt: skip

    assert body["status"] == "on-hold"
    assert body["assignee"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [({"status": "sleeping"}, 422, "status"), ({"priority": "asap"}, 422, "priority"),
     ({"group": 999999}, 422, "group"), ({"assignee": 999999}, 422, "assignee"),
     ({"status": None}, 422, "status"),
     ({"colour": "red"}, 422, "colour")],
)  # fmt: skip
def test_bad_patches_are_refused_and_change_nothing(desk, api_client, body, status, field):
    ticket = desk["mine"]

    response = api_client(desk["agent"]).patch(
        f"/api/v1/tickets/{ticket.pk}", body, content_type="application/json"
    )

    assert response.status_code == status
    assert field in response.json()["error"]["fields"]
    assert Ticket.objects.get(pk=ticket.pk).activities.exclude(field="created").count() == 0


def test_a_ticket_cannot_go_back_to_new(desk, api_client) -> None:
    client = api_client(desk["agent"])
    url = f"/api/v1/tickets/{desk['mine'].pk}"
    client.patch(url, {"status": "open"}, content_type="application/json")

    response = client.patch(url, {"status": "new"}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"status": "invalid_transition"}


def test_a_closed_ticket_does_not_change(desk, api_client) -> None:
    client = api_client(desk["agent"])
    url = f"/api/v1/tickets/{desk['mine'].pk}"
    client.patch(url, {"status": "closed"}, content_type="application/json")

    response = client.patch(url, {"status": "open"}, content_type="application/json")
    reply = client.post(f"{url}/messages", {"text": "hello?"}, content_type="application/json")

    assert response.status_code == 409
    assert reply.status_code == 422
    assert Ticket.objects.get(pk=desk["mine"].pk).status == Status.CLOSED


def test_reply_and_note(desk, api_client, run_tasks) -> None:
    client = api_client(desk["agent"])
    url = f"/api/v1/tickets/{desk['mine'].pk}/messages"

    reply = client.post(url, {"text": "Отправили повторно", "kind": "reply", "status": "pending"},
                        content_type="application/json")  # fmt: skip
    note = client.post(url, {"text": "Проверить склад", "kind": "note"},
                       content_type="application/json")  # fmt: skip

    assert reply.status_code == 201
    assert note.status_code == 201
    reply_body, note_body = reply.json(), note.json()
    assert reply_body["direction"] == "out"
    assert reply_body["delivery_status"] == "queued"
    assert reply_body["author"] == {"kind": "agent", "id": desk["agent"].pk,
                                    "name": desk["agent"].display_name}  # fmt: skip
    assert note_body["direction"] == "note"
    assert note_body["delivery_status"] == ""
    assert Delivery.objects.count() == 1
    ticket = Ticket.objects.get(pk=desk["mine"].pk)
    assert ticket.status == Status.PENDING
    assert ticket.first_response_at is not None

    messages = client.get(url).json()["items"]
    assert [m["direction"] for m in messages] == ["in", "out", "note"]
    run_tasks()
    messages = client.get(url).json()["items"]
    assert messages[1]["delivery_status"] == "failed"
    assert "callback_url" in messages[1]["delivery_error"]


def test_a_reply_with_an_attachment_and_its_download(desk, api_client) -> None:
    client = api_client(desk["agent"])
    data = base64.b64encode(b"GIF89a").decode()
    reply = client.post(
        f"/api/v1/tickets/{desk['mine'].pk}/messages",
        {"text": "см. скриншот", "attachments": [{"filename": "shot.gif", "data_base64": data}]},
        content_type="application/json",
    ).json()

    (attachment,) = reply["attachments"]
    assert attachment["filename"] == "shot.gif"
    assert attachment["size"] == 6
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"GIF89a"
    outsider = api_client(factories.agent(role="agent", groups=["Elsewhere"]))
    assert outsider.get(attachment["url"]).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": ""}, "text"), ({"text": "x", "kind": "memo"}, "kind"),
     ({"text": "x", "kind": "note", "status": "solved"}, "status"),
     ({"text": "x", "attachments": [{"filename": "a", "data_base64": "!!"}]},
      "attachments.0.data_base64")],
)  # fmt: skip
def test_bad_messages_are_422(desk, api_client, body, field) -> None:
    response = api_client(desk["agent"]).post(
        f"/api/v1/tickets/{desk['mine'].pk}/messages", body, content_type="application/json"
    )

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_customers_visible_through_their_tickets(desk, api_client) -> None:
    agent = api_client(desk["agent"])
    mine, other = desk["mine"], desk["other"]

    body = agent.get(f"/api/v1/customers/{mine.requester_id}").json()

    assert body["identities"] == [{"kind": "email", "value": "ann@example.com", "verified": False}]
    assert agent.get(f"/api/v1/customers/{other.requester_id}").status_code == 404
    listed = {c["id"] for c in agent.get("/api/v1/customers").json()["items"]}
    assert listed == {mine.requester_id}


def test_merging_customers_moves_identities_and_tickets(desk, api_client) -> None:
    client = api_client(desk["supervisor"])
    source, target = desk["other"].requester_id, desk["mine"].requester_id

    response = client.post(f"/api/v1/customers/{source}/merge", {"into": target},
                           content_type="application/json")  # fmt: skip

    assert response.status_code == 200
    values = {i["value"] for i in response.json()["identities"]}
    assert values == {"ann@example.com", "bob@example.com"}
    assert Ticket.objects.get(pk=desk["other"].pk).requester_id == target
    assert client.get(f"/api/v1/customers/{source}").json()["id"] == target
    again = client.post(f"/api/v1/customers/{source}/merge", {"into": target},
                        content_type="application/json")  # fmt: skip
    assert again.status_code in (409, 422)


def test_directory_endpoints(desk, api_client) -> None:
    client = api_client(desk["agent"])

    me = client.get("/api/v1/me").json()
    groups = {g["name"] for g in client.get("/api/v1/groups").json()}

    assert me["email"] == desk["agent"].email
    assert me["role"] == "agent"
    assert {"General", "Billing"} <= groups
    assert desk["supervisor"].email in {a["email"] for a in client.get("/api/v1/agents").json()}


def test_unknown_api_paths_and_methods_answer_json(desk, api_client) -> None:
    client = api_client(desk["agent"])

    missing = client.get("/api/v1/nothing/here")
    wrong_method = client.delete(f"/api/v1/tickets/{desk['mine'].pk}")

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]


def test_openapi_schema_is_served(db) -> None:
    schema = Client().get("/api/v1/openapi.json").json()

    assert "/api/v1/tickets" in schema["paths"]
    assert "/api/v1/channels/api/{key}/messages" in schema["paths"]
