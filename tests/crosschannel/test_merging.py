"""Merging two customers who are one person: everything moves, it is recorded, and only
agents who may see both customers (and are not trainees) can do it."""

from __future__ import annotations

import threading

import pytest

from tests import factories
from unidesk.channels.base import IdentityRef
from unidesk.channels.models import ChannelAccount
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from unidesk.crosschannel.selectors import merge_preview
from unidesk.crosschannel.services import customers_merge
from unidesk.customers.models import Customer, CustomerMerge
from unidesk.customers.services import customer_for_identity, customer_update
from unidesk.tickets.models import Activity, Message, Ticket
from unidesk.tickets.services import customer_merge, note_add

pytestmark = pytest.mark.django_db


def _customer_with_ticket(account: ChannelAccount, identity: tuple[str, str], **extra):
    return factories.conversation(account, identity=identity, **extra).ticket


def test_everything_of_the_merged_customer_moves_and_is_recorded(
    site: ChannelAccount, bot: ChannelAccount, agent
) -> None:
    email_ticket = _customer_with_ticket(site, ("email", "ivan@example.com"), name="Иван")
    chat = _customer_with_ticket(bot, ("telegram", "700100200"), name="Ivan P")
    note_add(ticket=chat, author=agent, text="Asked for the order number")
    source, target = chat.requester, email_ticket.requester
    Customer.objects.filter(pk=source.pk).update(language="ru", note="Prefers Telegram")

    merge = customers_merge(source=source, target=target, agent=agent)

    target.refresh_from_db()
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert Ticket.objects.get(pk=chat.pk).requester_id == target.pk
    assert sorted(i.value for i in target.identities.all()) == ["700100200", "ivan@example.com"]
    assert Message.objects.get(ticket=chat, direction="in").author_customer_id == target.pk
    assert (target.name, target.language, target.note) == ("Иван", "ru", "Prefers Telegram")
    assert merge.moved["identity_values"] == ["telegram:700100200"]
    assert merge.moved["ticket_numbers"] == [chat.number]
    assert (merge.actor_kind, merge.actor_id) == ("agent", agent.pk)
    moved = Activity.objects.get(ticket=chat, field="requester")
    assert (moved.old_value, moved.new_value, moved.actor_name) == (
        "Ivan P", "Иван", agent.display_name,
    )  # fmt: skip
    # The next Telegram message files under the customer that stays.
    later = factories.conversation(bot, identity=("telegram", "700100200"), thread_key="x")
    assert later.ticket.requester_id == target.pk


def test_customers_merged_before_follow_to_the_new_survivor(site: ChannelAccount) -> None:
    first = _customer_with_ticket(site, ("email", "a@example.com")).requester
    second = _customer_with_ticket(site, ("email", "b@example.com")).requester
    third = _customer_with_ticket(site, ("email", "c@example.com")).requester
    customer_merge(source=first, target=second, actor=Actor.system())

    merge = customer_merge(source=second, target=third, actor=Actor.system())

    first.refresh_from_db()
    assert first.merged_into_id == third.pk
    assert merge.moved["merged_before"] == 1


def test_copies_move_with_the_identity(site: ChannelAccount) -> None:
    ticket = factories.conversation(
        site,
        identity=("email", "boss@example.com"),
        cc=(IdentityRef("email", "assistant@example.com"),),
    ).ticket
    assistant = customer_for_identity(kind="email", value="assistant@example.com").customer
    other = _customer_with_ticket(site, ("phone", "+79160000000")).requester

    customer_merge(source=assistant, target=other, actor=Actor.system())

    (participant,) = ticket.participants.select_related("identity__customer")
    assert participant.identity.customer_id == other.pk


def test_a_merge_is_refused_when_it_makes_no_sense(site: ChannelAccount) -> None:
    one = _customer_with_ticket(site, ("email", "one@example.com")).requester
    two = _customer_with_ticket(site, ("email", "two@example.com")).requester

    with pytest.raises(ValidationFailed):
        customer_merge(source=one, target=one, actor=Actor.system())
    customer_merge(source=one, target=two, actor=Actor.system())
    with pytest.raises(Conflict):
        customer_merge(source=one, target=two, actor=Actor.system())
    with pytest.raises(Conflict):
        customer_merge(source=two, target=one, actor=Actor.system())
    assert CustomerMerge.objects.count() == 1


def test_trainees_may_not_merge(site: ChannelAccount) -> None:
    trainee = factories.agent(role="trainee", groups=["General"])
    one = _customer_with_ticket(site, ("email", "one@example.com")).requester
    two = _customer_with_ticket(site, ("email", "two@example.com")).requester

    with pytest.raises(PermissionDenied):
        customers_merge(source=one, target=two, agent=trainee)
    assert not CustomerMerge.objects.exists()


def test_a_customer_the_agent_cannot_see_cannot_be_merged(site: ChannelAccount) -> None:
    billing_channel, _ = factories.channel("api", group_name="Billing")
    general_agent = factories.agent(groups=["General"])
    mine = _customer_with_ticket(site, ("email", "mine@example.com")).requester
    hidden = _customer_with_ticket(billing_channel, ("email", "hidden@example.com")).requester

    with pytest.raises(NotFound):
        customers_merge(source=mine, target=hidden, agent=general_agent)
    with pytest.raises(NotFound):
        merge_preview(general_agent, mine.pk, hidden.pk)
    assert not CustomerMerge.objects.exists()


def test_the_preview_lists_what_moves_without_changing_anything(
    site: ChannelAccount, bot: ChannelAccount
) -> None:
    billing_channel, _ = factories.channel("api", group_name="Billing")
    agent = factories.agent(groups=["General"])
    chat = _customer_with_ticket(bot, ("telegram", "42"), name="Пётр", thread_key="42")
    factories.conversation(bot, identity=("telegram", "42"), thread_key="42")
    _customer_with_ticket(billing_channel, ("telegram", "42"))
    source = chat.requester
    customer_update(customer=source, note="VIP")
    target = _customer_with_ticket(site, ("email", "petr@example.com")).requester
    Customer.objects.filter(pk=target.pk).update(name="")

    preview = merge_preview(agent, source.pk, target.pk)

    assert [i.value for i in preview.identities] == ["42"]
    assert [t.pk for t in preview.tickets] == [chat.pk]
    assert (preview.ticket_count, preview.hidden_tickets, preview.messages) == (2, 1, 3)
    assert preview.name_after == "Пётр"
    assert preview.note_after == "VIP"
    assert Ticket.objects.filter(requester=source).count() == 2
    assert not CustomerMerge.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_messages_arriving_during_a_merge_all_end_with_the_customer_that_stays() -> None:
    """Ingestion locks the identity it files under and the merge takes those locks first:
    no ticket or message is left with the merged customer, and neither side deadlocks."""
    from django.db import connection

    account = factories.channel("api")[0]
    source = factories.conversation(account, identity=("telegram", "race")).ticket.requester
    target = factories.conversation(account, identity=("email", "t@example.com")).ticket.requester
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(6):
                factories.conversation(
                    account, identity=("telegram", "race"), name="Racer",
                    thread_key=f"w{worker}-{i}", text=f"message {worker}.{i}",
                )  # fmt: skip
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    barrier.wait()
    customer_merge(source=source, target=target, actor=Actor.system())
    for thread in threads:
        thread.join()

    assert errors == []
    assert Ticket.objects.count() == 2 + 18
    assert not Ticket.objects.filter(requester=source).exists()
    assert not Message.objects.filter(author_customer=source).exists()
    assert Message.objects.filter(author_customer=target).count() == 2 + 18
