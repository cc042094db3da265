"""Whatever a client sends, the API answers with a 2xx or a 4xx in the documented error
shape — never a 500. Generated inputs over the endpoints that take bodies and queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from unidesk.tickets.models import Message

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def keyed(*names: str) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of the real field names, holding anything."""
    return st.dictionaries(st.sampled_from([*names, "extra"]), values, max_size=len(names) + 1)


@pytest.fixture
def desk(agent) -> dict[str, Any]:
    account, secret = factories.channel("api", group_name="General")
    ticket = factories.conversation(account).ticket
    token = factories.api_token(agent)
    return {
        "key": account.key,
        "secret": secret,
        "ticket": ticket,
        "client": Client(headers={"Authorization": f"Bearer {token}"}),
    }


def _assert_answered(response: Any) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}
        assert error["message"]


@SETTINGS
@given(body=keyed("external_id", "identity", "name", "text", "thread", "sent_at", "attachments"))
def test_the_inbound_api_channel(desk: dict[str, Any], body: dict[str, Any]) -> None:
    response = Client().post(
        f"/api/v1/channels/api/{desk['key']}/messages",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {desk['secret']}"},
    )
    _assert_answered(response)


@SETTINGS
@given(body=keyed("text", "html", "kind", "attachments", "status"))
def test_replies_and_notes(desk: dict[str, Any], body: dict[str, Any]) -> None:
    response = desk["client"].post(
        f"/api/v1/tickets/{desk['ticket'].pk}/messages", json.dumps(body),
        content_type="application/json",
    )  # fmt: skip
    _assert_answered(response)


@SETTINGS
@given(body=keyed("status", "priority", "group", "assignee", "tags"))
def test_ticket_changes(desk: dict[str, Any], body: dict[str, Any]) -> None:
    response = desk["client"].patch(
        f"/api/v1/tickets/{desk['ticket'].pk}", json.dumps(body), content_type="application/json"
    )
    _assert_answered(response)


@SETTINGS
@given(body=keyed("into", "ticket", "original", "notify"))
def test_one_customer_endpoints(desk: dict[str, Any], body: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    client = desk["client"]
    raw = json.dumps(body)
    for url in (
        f"/api/v1/customers/{ticket.requester_id}/merge",
        f"/api/v1/tickets/{ticket.pk}/links",
        f"/api/v1/tickets/{ticket.pk}/duplicate",
    ):
        _assert_answered(client.post(url, raw, content_type="application/json"))


@SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(["status", "group", "assignee", "customer", "channel", "q", "tag",
                         "updated_since", "sort", "cursor", "limit"]),
        st.text(max_size=30),
        max_size=5,
    )
)  # fmt: skip
def test_ticket_list_queries(desk: dict[str, Any], params: dict[str, str]) -> None:
    _assert_answered(desk["client"].get("/api/v1/tickets", params))
    _assert_answered(desk["client"].get("/api/v1/customers", params))
    into = params.get("q", "")
    _assert_answered(
        desk["client"].get(
            f"/api/v1/customers/{desk['ticket'].requester_id}/merge-preview", {"into": into}
        )
    )


def test_nul_characters_are_taken_out_wherever_they_come(desk: dict[str, Any], agent) -> None:
    """PostgreSQL cannot store a NUL; one typed or sent anywhere is dropped, not a 500."""
    nul = "Иван\x00 Петров"
    inbound = Client().post(
        f"/api/v1/channels/api/{desk['key']}/messages",
        json.dumps({"external_id": "ext\x001", "identity": {"kind": "api", "value": "crm\x007"},
                    "name": nul, "text": "Где\x00 заказ?", "thread": "t\x001"}),
        content_type="application/json", headers={"Authorization": f"Bearer {desk['secret']}"},
    )  # fmt: skip
    customer = desk["ticket"].requester
    patched = desk["client"].patch(
        f"/api/v1/customers/{customer.pk}", json.dumps({"name": nul, "note": nul}),
        content_type="application/json",
    )  # fmt: skip
    listed = desk["client"].get("/api/v1/tickets", {"q": "заказ\x00", "tag": "\x00"})
    web = Client()
    web.force_login(agent)
    searched = web.get("/search/", {"q": "Где\x00"})
    noted = web.post(f"/t/{desk['ticket'].number}/reply/", {"kind": "note", "text": "a\x00b"})

    assert inbound.status_code == 201, inbound.content
    message = Message.objects.select_related("ticket").get(pk=inbound.json()["message_id"])
    assert (message.text, message.author_name, message.external_id) == (
        "Где заказ?", "Иван Петров", "ext1",
    )  # fmt: skip
    assert message.ticket.thread_key == "t1"
    assert patched.status_code == 200
    assert patched.json()["name"] == "Иван Петров"
    assert listed.status_code == 200
    assert searched.status_code == 200
    assert noted.status_code == 302
    assert Message.objects.filter(text="ab", direction="note").exists()
