"""The permissions matrix: each role against tickets of its group, of another group, and
assigned to it from another group — the same answer in the workspace, the API, search,
customers and attachments."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.channels.base import InboundAttachment
from unidesk.core.actor import Actor
from unidesk.tickets.models import Attachment
from unidesk.tickets.selectors import customers_visible_to, tickets_visible_to
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db

ROLES = ("admin", "supervisor", "agent", "trainee")
# Which tickets each role sees: its group's, another group's, one assigned to it elsewhere.
SEES = {
    "admin": {"own", "other", "assigned"},
    "supervisor": {"own", "other", "assigned"},
    "agent": {"own", "assigned"},
    "trainee": {"own", "assigned"},
}


@pytest.fixture
def desk() -> dict[str, Any]:
    general, _ = factories.channel("api", group_name="General")
    billing, _ = factories.channel("api", group_name="Billing")
    people = {role: factories.agent(role=role, groups=["General"]) for role in ROLES}
    file = (InboundAttachment(filename="scan.pdf", data=b"%PDF", content_type="application/pdf"),)
    tickets = {
        "own": factories.conversation(general, identity=("email", "own@example.com"),
                                      text="Мой заказ", attachments=file).ticket,
        "other": factories.conversation(billing, identity=("email", "other@example.com"),
                                        text="Мой заказ", attachments=file).ticket,
        "assigned": factories.conversation(billing, identity=("email", "mine@example.com"),
                                           text="Мой заказ", attachments=file).ticket,
    }  # fmt: skip
    return {"people": people, "tickets": tickets}


@pytest.mark.parametrize("role", ROLES)
def test_every_way_in_gives_the_same_answer(desk: dict[str, Any], role: str) -> None:
    person = desk["people"][role]
    tickets = desk["tickets"]
    ticket_update(ticket=tickets["assigned"], actor=Actor.system(), assignee=person)
    web = Client()
    web.force_login(person)
    api = Client(headers={"Authorization": f"Bearer {factories.api_token(person)}"})
    listed = {t["number"] for t in api.get("/api/v1/tickets").json()["items"]}
    found = {t["number"] for t in api.get("/api/v1/tickets", {"q": "заказ"}).json()["items"]}
    search = web.get(reverse("workspace:search"), {"q": "заказ"}).content.decode()
    customers = set(customers_visible_to(person).values_list("pk", flat=True))

    for name, ticket in tickets.items():
        visible = name in SEES[role]
        ok = 200 if visible else 404
        attachment = Attachment.objects.get(message__ticket=ticket)
        assert tickets_visible_to(person).filter(pk=ticket.pk).exists() is visible, name
        assert web.get(reverse("workspace:ticket", args=[ticket.number])).status_code == ok
        assert web.get(reverse("workspace:attachment", args=[attachment.pk])).status_code == ok
        customer_page = web.get(reverse("workspace:customer", args=[ticket.requester_id]))
        assert customer_page.status_code == ok
        assert api.get(f"/api/v1/tickets/{ticket.pk}").status_code == ok
        assert api.get(f"/api/v1/tickets/{ticket.pk}/messages").status_code == ok
        assert api.get(f"/api/v1/attachments/{attachment.pk}").status_code == ok
        assert api.get(f"/api/v1/customers/{ticket.requester_id}").status_code == ok
        assert (ticket.number in listed) is visible
        assert (ticket.number in found) is visible
        assert (f"#{ticket.number}" in search) is visible
        assert (ticket.requester_id in customers) is visible


@pytest.mark.parametrize("role", ROLES)
def test_changes_follow_the_same_rule(desk: dict[str, Any], role: str) -> None:
    person = desk["people"][role]
    other = desk["tickets"]["other"]
    web = Client()
    web.force_login(person)
    api = Client(headers={"Authorization": f"Bearer {factories.api_token(person)}"})
    expected = 200 if "other" in SEES[role] else 404

    patched = api.patch(f"/api/v1/tickets/{other.pk}", {"priority": "high"},
                        content_type="application/json")  # fmt: skip
    noted = web.post(reverse("workspace:ticket-reply", args=[other.number]),
                     {"kind": "note", "text": "x"})  # fmt: skip

    assert patched.status_code == expected
    assert noted.status_code == (302 if expected == 200 else 404)
    other.refresh_from_db()
    assert (other.priority_key == "high") is (expected == 200)
