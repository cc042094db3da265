"""Email tickets in the workspace: copies in the sidebar, quoted history and signatures
folded in the timeline, inline images shown in place."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.channels.email.support import customer_mail, eml, mailbox, post_raw
from unidesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_agent(client: Client):
    agent = factories.agent(role="agent", groups=["Support"])
    client.force_login(agent)
    return agent


def ingest(run_tasks, raw: bytes) -> Ticket:
    post_raw(mailbox(acknowledge="off"), raw)
    run_tasks()
    return Ticket.objects.get()


def test_copies_are_shown_added_and_removed_from_the_sidebar(client, support_agent,
                                                             run_tasks) -> None:  # fmt: skip
    ticket = ingest(run_tasks, customer_mail(cc="boss@client.example"))
    page = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()
    panel = page.split('id="email-copies"', 1)[1].split("</section>", 1)[0]
    assert "boss@client.example" in panel
    assert "In copy: boss@client.example" in page  # on the message itself

    response = client.post(reverse("workspace:ticket-copy-add", args=[ticket.number]),
                           {"address": "auditor@client.example", "role": "bcc"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="email-copies"' in html
    assert "auditor@client.example" in html
    assert "Copy added." in html
    assert ticket.participants.get(identity__value="auditor@client.example").role == "bcc"

    boss = ticket.participants.get(identity__value="boss@client.example")
    client.post(reverse("workspace:ticket-copy-remove", args=[ticket.number, boss.pk]))
    assert not ticket.participants.filter(pk=boss.pk).exists()


def test_a_bad_address_is_refused_with_the_reason(client, support_agent, run_tasks) -> None:
    ticket = ingest(run_tasks, customer_mail())
    response = client.post(reverse("workspace:ticket-copy-add", args=[ticket.number]),
                           {"address": "nonsense"}, headers={"HX-Request": "true"})  # fmt: skip

    assert response.status_code == 422
    assert "nonsense is not an email address." in response.content.decode()


def test_agents_of_other_groups_cannot_touch_copies(client, run_tasks) -> None:
    ticket = ingest(run_tasks, customer_mail())
    client.force_login(factories.agent(role="agent", groups=["Billing"]))

    response = client.post(reverse("workspace:ticket-copy-add", args=[ticket.number]),
                           {"address": "spy@evil.example"})  # fmt: skip
    assert response.status_code == 404
    assert ticket.participants.count() == 0


def test_quoted_history_is_folded_but_kept(client, support_agent, run_tasks) -> None:
    ticket = ingest(run_tasks, eml("gmail_reply_ru"))
    html = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()

    reply, folded = html.split('<details class="email-hidden">', 1)
    assert "Спасибо, посылка пришла!" in reply
    assert "Ваш заказ 4512 отправлен." not in reply.split('class="timeline"', 1)[1]
    assert "Show the quoted history" in folded
    assert "Ваш заказ 4512 отправлен." in folded


def test_inline_images_point_at_the_stored_file(client, support_agent, run_tasks) -> None:
    ticket = ingest(run_tasks, eml("gmail_inline_image"))
    image = ticket.messages.get().attachments.get()
    html = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()

    assert f'src="{reverse("workspace:attachment", args=[image.pk])}"' in html
    assert "cid:ii_photo1" not in html


def test_the_ticket_page_query_count_does_not_grow_with_copies(
    client, support_agent, run_tasks
) -> None:
    account = mailbox(acknowledge="off")
    post_raw(account, customer_mail(cc="one@client.example"))
    post_raw(account, customer_mail(
        sender="petr@client.example", message_id="many@client.example",
        cc=", ".join(f"c{n}@client.example" for n in range(8)),
    ))  # fmt: skip
    run_tasks()
    few, many = Ticket.objects.order_by("number")

    def queries(ticket: Ticket) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("workspace:ticket", args=[ticket.number]))
        assert page.status_code == 200
        return len(captured)

    queries(few)  # warm caches
    assert queries(many) == queries(few)
    assert many.participants.count() == 8
