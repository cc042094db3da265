"""The REST API and the report pages under hostile input: a 4xx in the documented error
shape that names the field, and nothing changed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.hostile.support import DEEP_ARRAY, DEEP_OBJECT, api_error, error_of
from tests.support.asgi import post as asgi_post
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

HUGE = "9" * 30  # larger than any database integer


@pytest.fixture
def ticket(db: None) -> Ticket:
    account, _ = factories.channel("api", group_name="General")
    return factories.conversation(account).ticket


@pytest.fixture
def client(supervisor: Agent) -> Client:
    return Client(headers={"Authorization": f"Bearer {factories.api_token(supervisor)}"})


@pytest.mark.parametrize("field", ["group", "customer", "assignee"])
@pytest.mark.parametrize("value", [HUGE, "-1", "0"])
def test_ticket_list_filters_out_of_the_id_range_are_refused_by_name(
    client: Client, ticket: Ticket, field: str, value: str
) -> None:
    error = api_error(client.get("/api/v1/tickets", {field: value}))

    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_a_cursor_nested_too_deeply_is_refused(client: Client, ticket: Ticket) -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()

    for url in ("/api/v1/tickets", "/api/v1/customers", f"/api/v1/tickets/{ticket.pk}/messages"):
        error = api_error(client.get(url, {"cursor": cursor}))
        assert error["fields"] == {"cursor": "invalid"}


REPORTS = [
    "/api/v1/reports/summary",
    "/api/v1/reports/timeseries",
    "/api/v1/reports/breakdown",
    "/api/v1/reports/tickets.csv",
    "/api/v1/reports/tickets.xlsx",
]
BAD_REPORT_FILTERS = [
    ({"until": "9999-12-31"}, "until"),
    ({"until": "0001-01-01"}, "until"),
    ({"since": "9999-12-30", "until": "2026-01-01"}, "since"),
    ({"until": "0001-01-01T00:00:00-14:00"}, "until"),
    ({"since": "0001-01-01T00:00:00+14:00", "until": "2026-01-01"}, "since"),
    ({"until": "2026-02-30"}, "until"),
    ({"since": "' OR 1=1 --"}, "since"),
    ({"group": HUGE}, "group"),
    ({"agent": HUGE}, "agent"),
    ({"agent": "-5"}, "agent"),
    ({"priority": "²"}, "priority"),
    ({"priority": "9" * 5000}, "priority"),
    ({"tz": "../../etc/passwd"}, "tz"),
    ({"tz": "x" * 5000}, "tz"),
    ({"channel": "'; DROP TABLE tickets; --"}, "channel"),
]


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize(("params", "field"), BAD_REPORT_FILTERS)
def test_report_filters_out_of_range_are_refused_by_name(
    client: Client, ticket: Ticket, url: str, params: dict[str, str], field: str
) -> None:
    error = api_error(client.get(url, params))

    assert field in error["fields"], error


@pytest.mark.parametrize(("params", "field"), BAD_REPORT_FILTERS)
def test_the_reports_page_answers_bad_filters_without_a_server_error(
    supervisor: Agent, ticket: Ticket, params: dict[str, str], field: str
) -> None:
    web = Client()
    web.force_login(supervisor)

    for url in ("/reports/", "/reports/by/group/", "/reports/tickets.csv"):
        assert 200 <= web.get(url, params).status_code < 500


BODIES = {
    "a JSON list": b"[]",
    "a JSON string": b'"status"',
    "a JSON number": b"1e999",
    "JSON null": b"null",
    "not JSON": b"{'status': 'open'",
    "not UTF-8": b'{"status": "\xff"}',
    "a deeply nested array": DEEP_ARRAY,
    "a deeply nested object": DEEP_OBJECT,
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_bodies_that_are_not_objects_are_refused_and_change_nothing(
    client: Client, ticket: Ticket, body: bytes
) -> None:
    urls = [
        ("patch", f"/api/v1/tickets/{ticket.pk}"),
        ("post", f"/api/v1/tickets/{ticket.pk}/messages"),
        ("patch", f"/api/v1/customers/{ticket.requester_id}"),
        ("post", f"/api/v1/customers/{ticket.requester_id}/merge"),
        ("post", f"/api/v1/tickets/{ticket.pk}/links"),
        ("post", f"/api/v1/tickets/{ticket.pk}/duplicate"),
        ("post", f"/api/v1/tickets/{ticket.pk}/copies"),
    ]
    before = (Ticket.objects.values().get(pk=ticket.pk), Message.objects.count())

    for method, url in urls:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert api_error(response)["code"] == "validation_error", (url, response.content)

    assert (Ticket.objects.values().get(pk=ticket.pk), Message.objects.count()) == before


def test_a_lone_surrogate_in_a_body_is_refused_by_name_and_nothing_changes(
    client: Client, ticket: Ticket
) -> None:
    status = ticket.status
    tags = client.patch(
        f"/api/v1/tickets/{ticket.pk}", '{"tags": ["vip", "\\ud800"], "status": "pending"}',
        content_type="application/json",
    )  # fmt: skip
    note = client.post(
        f"/api/v1/tickets/{ticket.pk}/messages", '{"kind": "note", "text": "a\\udfffb"}',
        content_type="application/json",
    )  # fmt: skip
    name = client.patch(
        f"/api/v1/customers/{ticket.requester_id}", '{"name": "\\ud83d"}',
        content_type="application/json",
    )  # fmt: skip

    assert api_error(tags)["fields"] == {
        "tags.1": "holds a lone UTF-16 surrogate, which is not text"
    }
    assert list(api_error(note)["fields"]) == ["text"]
    assert list(api_error(name)["fields"]) == ["name"]
    ticket.refresh_from_db()
    assert (ticket.status, list(ticket.tags.all())) == (status, [])
    assert Message.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "delete", "post"])
def test_wrong_methods_get_a_json_405(client: Client, ticket: Ticket, method: str) -> None:
    response = getattr(client, method)(f"/api/v1/tickets/{ticket.pk}")

    assert response.status_code == 405
    assert api_error(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Token abc", "Bearer ' OR 1=1 --", "Bearer " + "x" * 10_000],
)
def test_missing_or_forged_tokens_are_refused(ticket: Ticket, authorization: str) -> None:
    response = Client(headers={"Authorization": authorization}).get("/api/v1/tickets")

    assert api_error(response)["code"] == "unauthenticated"


# --- the API channel, as the server takes it (its own lane) and as Django routes it -----


@pytest.fixture
def api_channel(transactional_db: None) -> tuple[ChannelAccount, str]:
    return factories.channel("api", group_name="General")


def _message(**fields: Any) -> dict[str, Any]:
    return {"external_id": "m-1", "identity": {"kind": "api", "value": "crm-1"}, "text": "Hi",
            **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (DEEP_ARRAY, "body"),
        (DEEP_OBJECT, "body"),
        (json.dumps(_message(text="a\ud800")).encode(), "text"),
        (json.dumps(_message(name="\udfff")).encode(), "name"),
        (json.dumps(_message(external_id="x" * 300)).encode(), "external_id"),
    ],
    ids=["deep array", "deep object", "surrogate text", "surrogate name", "long id"],
)  # fmt: skip
def test_the_api_channel_refuses_bad_bodies_by_name_on_both_paths(
    api_channel: tuple[ChannelAccount, str], body: bytes, field: str
) -> None:
    account, secret = api_channel
    url = f"/api/v1/channels/api/{account.key}/messages"
    auth = {"Authorization": f"Bearer {secret}"}

    routed = Client().post(url, body, content_type="application/json", headers=auth)
    status, _headers, content = asgi_post(url, body, auth)

    assert field in api_error(routed)["fields"]
    assert field in error_of(status, content)["fields"]
    assert not Message.objects.exists()


def test_attachment_names_with_paths_and_control_characters_are_made_plain(
    api_channel: tuple[ChannelAccount, str],
) -> None:
    account, secret = api_channel
    names = ["../../etc/passwd", "..\\..\\boot.ini", "bell\x07\r\nX-Evil: 1.txt", "..", "/"]
    attachments = [
        {"filename": name, "content_type": "text/plain\r\nX-Evil: 1", "data_base64": "aGk="}
        for name in names
    ]

    response = Client().post(
        f"/api/v1/channels/api/{account.key}/messages",
        json.dumps(_message(attachments=attachments)), content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip

    assert response.status_code == 201, response.content
    stored = list(Attachment.objects.order_by("pk").values_list("filename", "content_type"))
    assert [name for name, _ in stored] == [
        "passwd", "boot.ini", "bellX-Evil_ 1.txt", "attachment", "attachment",
    ]  # fmt: skip
    # The declared type is not one (it carries a header on a line of its own): guessed.
    assert {ctype for _, ctype in stored} <= {"text/plain", "application/octet-stream"}


def test_invalid_base64_stores_nothing(api_channel: tuple[ChannelAccount, str]) -> None:
    account, secret = api_channel
    attachments = [
        {"filename": "fine.txt", "data_base64": "aGk="},
        {"filename": "broken.txt", "data_base64": "not*base64!"},
    ]

    response = Client().post(
        f"/api/v1/channels/api/{account.key}/messages",
        json.dumps(_message(attachments=attachments)), content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip

    assert api_error(response)["fields"] == {"attachments.1.data_base64": "invalid_base64"}
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
