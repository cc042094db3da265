from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.channels.base import InboundAttachment
from unidesk.channels.models import ChannelAccount, Delivery, DeliveryState
from unidesk.channels.services import channel_update_settings, reply_send
from unidesk.core.actor import Actor
from unidesk.tickets.models import DeliveryStatus, Direction, Message, Status, Ticket
from unidesk.tickets.services import note_add, ticket_update

HTMX = {"HX-Request": "true"}


def _ticket(account: ChannelAccount, text: str = "Where is my order?", **extra: Any) -> Ticket:
    return factories.conversation(account, text=text, **extra).ticket


def _url(name: str, ticket: Ticket, *args: int) -> str:
    return reverse(f"workspace:{name}", args=[ticket.number, *args])


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(_url("ticket", ticket))
    assert response.status_code == 200
    return response.content.decode()


def _timeline(html: str) -> str:
    return html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]


# --- the page ------------------------------------------------------------------------------


def test_the_ticket_page_shows_header_conversation_and_customer(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(
        account,
        "Заказ 4411 не пришёл.\nПроверьте, пожалуйста.",
        identity=("telegram", "5550001"),
        name="Ольга",
        subject="Где заказ?",
    )
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), assignee=agent, tags=["delivery"])
    note_add(ticket=ticket, author=agent, text="Checked the warehouse: shipped on Monday.")

    html = _page(agent_client, ticket)

    header = html.split('id="ticket-header"', 1)[1].split("</header>", 1)[0]
    assert f"#{ticket.number}" in header
    assert "Где заказ?" in header
    assert "New" in header
    assert "Normal" in header
    assert "API" in header
    assert "General" in header
    assert agent.display_name in header
    assert "delivery" in header
    timeline = _timeline(html)
    assert "Заказ 4411 не пришёл.<br>Проверьте, пожалуйста." in timeline
    assert 'class="message message-note"' in timeline
    assert "Internal note" in timeline
    assert "Checked the warehouse" in timeline
    assert f"{agent.display_name} assigned the ticket to {agent.display_name}" in timeline
    sidebar = html.split('class="panel customer-panel"', 1)[1]
    assert "Ольга" in sidebar
    assert "5550001" in sidebar
    assert "Telegram" in sidebar


def test_html_messages_are_shown_sanitised(agent_client: Client, account: ChannelAccount) -> None:
    ticket = _ticket(
        account, "", html='<p>Hello <b>there</b><script>alert("x")</script></p>', subject="Hi"
    )

    timeline = _timeline(_page(agent_client, ticket))

    assert "<b>there</b>" in timeline
    assert "<script" not in timeline
    assert "alert" not in timeline


def test_plain_text_is_escaped(agent_client: Client, account: ChannelAccount) -> None:
    ticket = _ticket(account, "<i>not markup</i> & more")

    timeline = _timeline(_page(agent_client, ticket))

    assert "&lt;i&gt;not markup&lt;/i&gt; &amp; more" in timeline


def test_attachments_are_links_and_files_not_kept_say_why(
    agent_client: Client, account: ChannelAccount
) -> None:
    ticket = _ticket(
        account,
        "Photos attached",
        attachments=(
            InboundAttachment(filename="box.jpg", content_type="image/jpeg", data=b"\xff\xd8jpg"),
            InboundAttachment(filename="video.mov", error="larger than 25 MB", size=30_000_000),
        ),
    )
    kept, missing = Message.objects.get(ticket=ticket).attachments.order_by("id")

    timeline = _timeline(_page(agent_client, ticket))

    assert f'href="{reverse("workspace:attachment", args=[kept.pk])}"' in timeline
    assert "box.jpg" in timeline
    assert "video.mov" in timeline
    assert "not kept: larger than 25 MB" in timeline
    assert reverse("workspace:attachment", args=[missing.pk]) not in timeline

    download = agent_client.get(reverse("workspace:attachment", args=[kept.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\xff\xd8jpg"  # type: ignore[attr-defined]
    assert download["Content-Type"] == "image/jpeg"
    assert agent_client.get(reverse("workspace:attachment", args=[missing.pk])).status_code == 404


def test_other_tickets_and_parallel_conversations_of_the_customer_are_in_the_sidebar(
    agent_client: Client, agent: Agent, supervisor: Agent, account: ChannelAccount
) -> None:
    email_ticket = _ticket(account, "First question", identity=("email", "ivan@example.com"))
    telegram = factories.channel("api", group_name="General")[0]
    telegram.kind = "telegram"
    telegram.save(update_fields=["kind"])
    parallel = factories.conversation(
        telegram, text="Same question in Telegram", identity=("email", "ivan@example.com")
    ).ticket
    ticket_update(ticket=parallel, actor=Actor.for_agent(supervisor), assignee=supervisor)

    html = _page(agent_client, email_ticket)

    sidebar = html.split('class="panel customer-panel"', 1)[1]
    assert "Also writing now in:" in sidebar
    assert f'href="{_url("ticket", parallel)}"' in sidebar
    assert f"Telegram #{parallel.number}" in sidebar
    assert supervisor.display_name in sidebar
    assert "Same question in Telegram" in sidebar  # among the other tickets


def test_a_ticket_of_another_group_is_not_found_like_a_missing_one(
    client: Client, outsider: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(account)
    attachment_ticket = _ticket(
        account, "file", attachments=(InboundAttachment(filename="a.txt", data=b"secret"),)
    )
    attachment = Message.objects.get(ticket=attachment_ticket).attachments.get()
    client.force_login(outsider)

    assert client.get(_url("ticket", ticket)).status_code == 404
    assert client.get(reverse("workspace:ticket", args=[999999])).status_code == 404
    assert client.get(reverse("workspace:attachment", args=[attachment.pk])).status_code == 404
    assert client.post(_url("ticket-reply", ticket), {"text": "Hi"}).status_code == 404
    assert client.post(_url("ticket-update", ticket), {"status": "solved"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status != Status.SOLVED
    assert not Message.objects.filter(ticket=ticket, direction=Direction.OUT).exists()


def test_a_retry_for_a_message_of_a_hidden_ticket_is_not_found(
    client: Client, agent: Agent, outsider: Agent, account: ChannelAccount, run_tasks: Any
) -> None:
    ticket = _ticket(account)
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()
    client.force_login(outsider)

    response = client.post(_url("message-retry", ticket, reply.pk))

    assert response.status_code == 404
    assert Delivery.objects.get(message=reply).state == DeliveryState.FAILED


def test_the_ticket_page_costs_the_same_queries_however_long_the_conversation(
    agent_client: Client,
    agent: Agent,
    account: ChannelAccount,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    ticket = _ticket(account, thread_key="long")
    for i in range(15):
        factories.conversation(
            account,
            text=f"Follow-up {i}",
            thread_key="long",
            attachments=(InboundAttachment(filename=f"f{i}.txt", data=b"x"),),
        )
        note_add(ticket=ticket, author=agent, text=f"Note {i}")
        ticket_update(ticket=ticket, actor=Actor.for_agent(agent), tags=[f"t{i}"])
        _ticket(account, f"Other ticket {i}")

    # One of them reads the ticket's satisfaction survey for the sidebar.
    with django_assert_max_num_queries(18):
        html = _page(agent_client, ticket)

    assert "Follow-up 14" in html
    assert "Note 14" in html


# --- the composer ----------------------------------------------------------------------------


def test_a_reply_goes_out_through_the_outbox_and_shows_its_delivery(
    agent_client: Client, agent: Agent, account: ChannelAccount, run_tasks: Any, callback_url: str
) -> None:
    channel_update_settings(account=account, settings={"callback_url": callback_url})
    ticket = _ticket(account)

    response = agent_client.post(
        _url("ticket-reply", ticket), {"kind": "reply", "text": "We are on it."}, headers=HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="timeline" class="timeline" hx-swap-oob="true"' in html
    assert "We are on it." in html
    assert "Queued" in html
    assert "Reply queued for sending." in html
    reply = Message.objects.get(ticket=ticket, direction=Direction.OUT)
    assert reply.author_agent == agent
    assert Delivery.objects.get(message=reply).state == DeliveryState.QUEUED

    run_tasks()

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    timeline = _timeline(_page(agent_client, ticket))
    assert "We are on it." in timeline
    assert "Sent" in timeline


def test_a_failed_delivery_shows_the_reason_and_can_be_retried(
    agent_client: Client, account: ChannelAccount, run_tasks: Any
) -> None:
    ticket = _ticket(account)
    agent_client.post(_url("ticket-reply", ticket), {"text": "Answer without a callback"})
    run_tasks()
    reply = Message.objects.get(ticket=ticket, direction=Direction.OUT)

    timeline = _timeline(_page(agent_client, ticket))

    assert "Failed" in timeline
    assert "This API channel has no callback_url" in timeline
    assert _url("message-retry", ticket, reply.pk) in timeline
    assert "Retry" in timeline

    response = agent_client.post(_url("message-retry", ticket, reply.pk), headers=HTMX)

    assert response.status_code == 200
    assert "Sending again." in response.content.decode()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.QUEUED
    assert Delivery.objects.get(message=reply).state == DeliveryState.QUEUED


def test_reply_and_set_status_in_one_step_without_javascript(
    agent_client: Client, account: ChannelAccount
) -> None:
    ticket = _ticket(account)

    response = agent_client.post(
        _url("ticket-reply", ticket), {"kind": "reply", "text": "Fixed.", "status_after": "solved"}
    )

    assert response.status_code == 302
    assert response["Location"] == _url("ticket", ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    html = agent_client.get(response["Location"]).content.decode()
    assert "Reply queued for sending." in html
    assert "changed the status Open → Solved" in _timeline(html)


def test_an_internal_note_stays_inside_and_looks_different(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(account)

    response = agent_client.post(
        _url("ticket-reply", ticket), {"kind": "note", "text": "Customer is a VIP."}, headers=HTMX
    )

    assert response.status_code == 200
    note = Message.objects.get(ticket=ticket, direction=Direction.NOTE)
    assert note.text == "Customer is a VIP."
    assert not Delivery.objects.filter(message=note).exists()
    html = response.content.decode()
    assert f'id="message-{note.pk}"' in html
    assert 'class="message message-note"' in html
    assert "Note added." in html


def test_files_are_attached_to_a_reply(agent_client: Client, account: ChannelAccount) -> None:
    ticket = _ticket(account)
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 data", content_type="application/pdf")

    agent_client.post(
        _url("ticket-reply", ticket), {"text": "Invoice attached.", "attachments": [upload]}
    )

    reply = Message.objects.get(ticket=ticket, direction=Direction.OUT)
    attachment = reply.attachments.get()
    assert attachment.filename == "invoice.pdf"
    assert attachment.file.read() == b"%PDF-1.4 data"
    assert "invoice.pdf" in _timeline(_page(agent_client, ticket))


def test_a_file_over_the_limit_is_refused_with_a_clear_message_and_nothing_is_sent(
    agent_client: Client, account: ChannelAccount, settings: Any
) -> None:
    settings.MAX_ATTACHMENT_BYTES = 1024
    ticket = _ticket(account)
    upload = SimpleUploadedFile("huge.zip", b"x" * 2048)

    response = agent_client.post(
        _url("ticket-reply", ticket),
        {"text": "Here it is", "attachments": [upload]},
        headers=HTMX,
    )

    assert response.status_code == 413
    html = response.content.decode()
    assert "huge.zip is 2.0\xa0KB; files up to 1.0\xa0KB can be attached." in html
    assert 'id="composer"' not in html  # the draft stays in the browser
    assert not Message.objects.filter(ticket=ticket, direction=Direction.OUT).exists()


def test_an_empty_reply_is_refused_and_the_page_keeps_the_draft_without_javascript(
    agent_client: Client, account: ChannelAccount
) -> None:
    ticket = _ticket(account)

    response = agent_client.post(_url("ticket-reply", ticket), {"kind": "note", "text": "  "})

    assert response.status_code == 422
    assert "The note is empty." in response.content.decode()
    assert 'value="note" checked' in response.content.decode()


def test_a_note_cannot_set_the_status(agent_client: Client, account: ChannelAccount) -> None:
    ticket = _ticket(account)

    response = agent_client.post(
        _url("ticket-reply", ticket),
        {"kind": "note", "text": "hm", "status_after": "solved"},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "An internal note does not change the status" in response.content.decode()


# --- actions -------------------------------------------------------------------------------


def test_status_priority_assignee_group_and_tags_changes_appear_in_the_timeline(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(account)
    other = factories.agent(name="Boris", groups=["General"])
    billing = factories.group("Billing")
    url = _url("ticket-update", ticket)

    for data in (
        {"status": "pending"},
        {"priority": "urgent"},
        {"assignee": "me"},
        {"assignee": str(other.pk)},
        {"tags": "refund, VIP"},
        {"assignee": ""},
    ):
        response = agent_client.post(url, data, headers=HTMX)
        assert response.status_code == 200, response.content
    # Moved to a group the agent is not in, unassigned: the ticket leaves their sight.
    response = agent_client.post(url, {"group": str(billing.pk)}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("workspace:home")

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.priority_key == "urgent"
    assert ticket.assignee is None
    assert ticket.group == billing
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    ticket_update(ticket=ticket, actor=Actor.system(), group=agent.groups.get())
    timeline = _timeline(_page(agent_client, ticket))
    name = agent.display_name
    assert f"{name} changed the status New → Pending" in timeline
    assert f"{name} changed the priority Normal → Urgent" in timeline
    assert f"{name} assigned the ticket to {name}" in timeline
    assert f"{name} reassigned the ticket from {name} to Boris" in timeline
    assert f"{name} tagged the ticket refund, vip" in timeline
    assert f"{name} moved the ticket from General to Billing" in timeline
    assert f"{name} unassigned Boris" in timeline


def test_an_htmx_change_answers_with_the_parts_of_the_page_that_changed(
    agent_client: Client, account: ChannelAccount
) -> None:
    ticket = _ticket(account)

    response = agent_client.post(_url("ticket-update", ticket), {"priority": "high"}, headers=HTMX)

    html = response.content.decode()
    assert 'id="ticket-header" class="ticket-header" hx-swap-oob="true"' in html
    assert 'id="ticket-properties"' in html
    assert 'id="timeline"' in html
    assert 'id="composer"' not in html  # a draft being typed is left alone
    assert "Saved." in html
    assert "High" in html.split('id="ticket-header"', 1)[1].split("</header>", 1)[0]


def test_a_refused_change_is_explained_not_a_server_error(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(account)
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), status=Status.CLOSED)

    closed = agent_client.post(_url("ticket-update", ticket), {"status": "open"}, headers=HTMX)
    unknown = agent_client.post(_url("ticket-update", ticket), {"priority": "huge"}, headers=HTMX)
    reply = agent_client.post(_url("ticket-reply", ticket), {"text": "Hello?"})

    assert closed.status_code == 409
    assert f"Ticket #{ticket.number} is closed; closed tickets do not change." in (
        closed.content.decode()
    )
    assert unknown.status_code == 422
    assert "Choose a priority from the list." in unknown.content.decode()
    assert reply.status_code == 422
    assert "a reply would not reach anyone" in reply.content.decode()
    assert "Hello?" in reply.content.decode()  # the draft is still there


@pytest.mark.parametrize("method", ["get", "post"])
def test_ticket_urls_need_a_login(client: Client, account: ChannelAccount, method: str) -> None:
    ticket = _ticket(account)

    response = getattr(client, method)(_url("ticket", ticket))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workspace:login"))


def test_a_refused_choice_does_not_stay_selected_in_the_sidebar(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = _ticket(account)
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), status=Status.CLOSED)

    response = agent_client.post(_url("ticket-update", ticket), {"status": "open"}, headers=HTMX)

    html = response.content.decode()
    properties = html.split('id="ticket-properties"', 1)[1].split("</section>", 1)[0]
    assert 'hx-swap-oob="true"' in html.split('id="ticket-properties"', 1)[1][:80]
    assert '<option value="closed" selected>' in properties
    assert '<option value="open" selected>' not in properties
