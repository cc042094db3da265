"""Two agents on one ticket: a reply sent after a colleague's newer reply is refused once,
with the colleague's words shown, so the customer never gets two answers to one
question; and the parts of pages the live workspace fetches keep their permissions."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from unidesk.channels.services import reply_send
from unidesk.core.errors import Conflict
from unidesk.tickets.models import Direction, Message, Ticket


def test_sending_after_a_colleagues_newer_reply_is_refused_once(db: None, client: Client) -> None:
    account, _ = factories.channel("api", group_name="General")
    anna = factories.agent(groups=["General"], name="Anna")
    oleg = factories.agent(groups=["General"], name="Oleg")
    ticket = factories.conversation(account, text="Where is my order?").ticket
    seen = Message.objects.filter(ticket=ticket).latest("id").pk
    reply_send(ticket=ticket, author=anna, text="It ships today.")

    with pytest.raises(Conflict) as refused:
        reply_send(ticket=ticket, author=oleg, text="Let me check.", seen_up_to=seen)
    own = reply_send(ticket=ticket, author=anna, text="Tracking: RA1", seen_up_to=seen)

    assert refused.value.code == "newer_reply"
    assert "Anna" in refused.value.message
    assert "It ships today." in refused.value.message
    assert own.pk  # one's own earlier reply is no collision

    client.force_login(oleg)
    url = f"/t/{ticket.number}/reply/"
    first = client.post(
        url, {"text": "Let me check.", "seen_up_to": seen}, headers={"HX-Request": "true"}
    )
    newest = Message.objects.filter(ticket=ticket).latest("id").pk
    second = client.post(
        url, {"text": "Let me check.", "seen_up_to": newest}, headers={"HX-Request": "true"}
    )

    assert first.status_code == 409
    assert "Anna sent a reply while you were writing" in first.content.decode()
    assert f'value="{newest}"' in first.content.decode()
    assert second.status_code == 200
    assert Message.objects.filter(ticket=ticket, direction=Direction.OUT).count() == 3


def test_the_live_parts_of_pages_keep_their_permissions(db: None, client: Client) -> None:
    account, _ = factories.channel("api", group_name="General")
    ticket = factories.conversation(account, text="Refund please").ticket
    anna = factories.agent(groups=["General"])
    boris = factories.agent(groups=["Billing"])

    client.force_login(boris)
    hidden = client.get(f"/t/{ticket.number}/live/")
    client.force_login(anna)
    shown = client.get(f"/t/{ticket.number}/live/")
    inbox = client.get("/live/inbox/?view=unassigned")

    assert hidden.status_code == 404
    assert shown.status_code == 200
    body = shown.content.decode()
    assert 'id="timeline"' in body
    assert "Refund please" in body
    assert 'id="composer"' not in body
    assert 'id="inbox-views"' in inbox.content.decode()
    assert f"#{ticket.number}" in inbox.content.decode()
    assert Ticket.objects.count() == 1
