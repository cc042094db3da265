"""Messages nobody typed (acknowledgements, out-of-hours replies, the bot, surveys) leave
through the same outbox, and never count as an agent's answer."""

import pytest

from tests import factories
from tests.support.http import fake_server
from unidesk.channels.services import automatic_message_send
from unidesk.core.actor import Actor
from unidesk.tickets.models import Message, Origin, Status
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def callback():
    with fake_server() as server:
        yield server


@pytest.fixture
def ticket(callback, run_tasks):
    account, _ = factories.channel("api", settings={"callback_url": callback.url + "/hook"})
    ticket = factories.conversation(account, identity=("api", "crm-7"), thread_key="t-7").ticket
    run_tasks()  # what follows the customer's message (merge suggestions…), out of the way
    return ticket


def test_an_auto_reply_is_delivered_but_is_not_the_first_response(
    ticket, callback, run_tasks
) -> None:
    message = automatic_message_send(
        ticket=ticket,
        text="We usually answer within 2 hours.",
        author_name="Shop support",
        metadata={"buttons": [[{"text": "Talk to a person", "data": "bot:human"}]]},
    )

    assert message is not None
    assert run_tasks() == 1
    (request,) = callback.requests
    assert request.json()["message"]["text"] == "We usually answer within 2 hours."
    stored = Message.objects.get(pk=message.pk)
    assert (stored.origin, stored.delivery_status, stored.author_name) == (
        Origin.AUTO_REPLY,
        "sent",
        "Shop support",
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.agent_reply_count == 0
    assert ticket.status == Status.NEW


def test_nothing_is_sent_on_a_closed_ticket(ticket, callback, run_tasks) -> None:
    ticket_update(ticket=ticket, actor=Actor.system(), status=Status.CLOSED)

    assert automatic_message_send(ticket=ticket, text="Still there?") is None
    assert run_tasks() == 0
    assert callback.requests == []
