"""Linking tickets, and closing one as a duplicate of another with the customer told in
the duplicate's own channel, in their language."""

from __future__ import annotations

import pytest

from tests import factories
from tests.channels.telegram.fake import FakeTelegram
from unidesk.channels.models import ChannelAccount
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, ValidationFailed
from unidesk.crosschannel.events import TicketClosedAsDuplicate, TicketsLinked
from unidesk.crosschannel.models import LinkKind, TicketLink
from unidesk.crosschannel.selectors import ticket_links_for
from unidesk.crosschannel.services import (
    MAX_LINKS_PER_TICKET,
    ticket_close_as_duplicate,
    ticket_link,
    ticket_unlink,
)
from unidesk.customers.models import Customer
from unidesk.tickets.models import Activity, Message, Origin, Status, Ticket
from unidesk.tickets.services import customer_merge, ticket_update

pytestmark = pytest.mark.django_db


def _log(ticket: Ticket, field: str) -> list[tuple[str, str]]:
    return list(
        Activity.objects.filter(ticket=ticket, field=field).values_list("old_value", "new_value")
    )


@pytest.fixture
def pair(site: ChannelAccount) -> tuple[Ticket, Ticket]:
    first = factories.conversation(site, identity=("api", "crm-1"), thread_key="a").ticket
    second = factories.conversation(site, identity=("api", "crm-2"), thread_key="b").ticket
    return first, second


def test_linked_tickets_know_each_other_and_both_record_it(pair, agent, published) -> None:
    first, second = pair

    link = ticket_link(ticket=second, other=first, agent=agent)
    again = ticket_link(ticket=first, other=second, agent=agent)

    assert again.pk == link.pk
    assert (link.source_id, link.target_id, link.kind) == (first.pk, second.pk, LinkKind.RELATED)
    assert _log(first, "linked") == [("", second.reference)]
    assert _log(second, "linked") == [("", first.reference)]
    assert [(v.relation, v.other.pk) for v in ticket_links_for(agent, first)] == [
        ("related", second.pk)
    ]
    assert len([e for e in published if isinstance(e, TicketsLinked)]) == 1


def test_unlinking_records_it_and_twice_is_harmless(pair, agent) -> None:
    first, second = pair
    ticket_link(ticket=first, other=second, agent=agent)

    assert ticket_unlink(ticket=second, other=first, agent=agent) is True
    assert ticket_unlink(ticket=second, other=first, agent=agent) is False

    assert not TicketLink.objects.exists()
    assert _log(first, "unlinked") == [(second.reference, "")]
    assert _log(second, "unlinked") == [(first.reference, "")]


def test_a_ticket_cannot_be_linked_to_itself_nor_without_end(pair, site, agent) -> None:
    first, second = pair
    with pytest.raises(ValidationFailed):
        ticket_link(ticket=first, other=first, agent=agent)

    for i in range(MAX_LINKS_PER_TICKET - 1):
        other = factories.conversation(site, identity=("api", f"x{i}"), thread_key=f"x{i}").ticket
        ticket_link(ticket=first, other=other, agent=agent)
    ticket_link(ticket=first, other=second, agent=agent)
    extra = factories.conversation(site, identity=("api", "extra"), thread_key="extra").ticket
    with pytest.raises(ValidationFailed) as refused:
        ticket_link(ticket=first, other=extra, agent=agent)
    assert refused.value.fields == {"ticket": "too_many_links"}


@pytest.fixture
def customer_on_two_channels(bot: ChannelAccount, site: ChannelAccount, telegram: FakeTelegram):
    """Ivan writes to the Telegram bot and, separately, through the shop's site; the two
    customers were merged into one."""
    chat = factories.conversation(
        bot, identity=("telegram", "700100200"), thread_key="700100200",
        text="Где мой заказ 4411? Жду уже неделю", name="Иван",
    ).ticket  # fmt: skip
    site_ticket = factories.conversation(
        site, identity=("email", "ivan@example.com"), thread_key="s1",
        text="Заказ 4411 не пришёл", name="Иван Петров",
    ).ticket  # fmt: skip
    customer_merge(source=chat.requester, target=site_ticket.requester, actor=Actor.system())
    chat.refresh_from_db()
    return chat, site_ticket


def test_closing_a_duplicate_tells_the_customer_in_its_own_channel_in_their_language(
    customer_on_two_channels, telegram: FakeTelegram, callback, agent, run_tasks, *, published
) -> None:
    chat, site_ticket = customer_on_two_channels
    run_tasks()

    closed = ticket_close_as_duplicate(ticket=site_ticket, original=chat, agent=agent)
    run_tasks()

    site_ticket.refresh_from_db()
    assert site_ticket.status == Status.CLOSED
    assert closed.notice is not None
    (sent,) = [r.json()["message"] for r in callback.requests]
    assert sent["text"] == (
        "Спасибо! Вы уже написали нам об этом в Telegram, и мы ответим вам там. "
        "Этот разговор мы закрываем, чтобы вы не получили два ответа."
    )
    assert telegram.sent("sendMessage") == []  # nothing went to the other channel
    notice = Message.objects.get(pk=closed.notice.pk)
    assert (notice.origin, notice.delivery_status) == (Origin.SYSTEM, "sent")
    assert site_ticket.first_response_at is None  # telling is not answering
    assert _log(site_ticket, "duplicate_of") == [("", chat.reference)]
    assert _log(chat, "duplicate") == [("", site_ticket.reference)]
    assert _log(site_ticket, "status") == [("new", "closed")]
    assert [(v.relation, v.other.pk) for v in ticket_links_for(agent, chat)] == [
        ("duplicated_by", site_ticket.pk)
    ]
    (event,) = [e for e in published if isinstance(e, TicketClosedAsDuplicate)]
    assert (event.ticket_id, event.original_id, event.notice_id) == (
        site_ticket.pk, chat.pk, closed.notice.pk,
    )  # fmt: skip


def test_a_telegram_duplicate_is_told_in_telegram(
    customer_on_two_channels, telegram: FakeTelegram, callback, agent, run_tasks
) -> None:
    chat, site_ticket = customer_on_two_channels

    ticket_close_as_duplicate(ticket=chat, original=site_ticket, agent=agent)
    run_tasks()

    (sent,) = telegram.sent("sendMessage")
    assert sent["chat_id"] == "700100200"
    assert sent["text"].startswith("Спасибо! Ваше предыдущее сообщение об этом уже у нас")
    assert site_ticket.reference in sent["text"]
    assert callback.requests == []


def test_an_english_speaking_customer_is_told_in_english(site: ChannelAccount, agent) -> None:
    first = factories.conversation(site, identity=("api", "c"), thread_key="1",
                                   text="My parcel is late").ticket  # fmt: skip
    second = factories.conversation(site, identity=("api", "c"), thread_key="2",
                                    text="Where is my parcel?").ticket  # fmt: skip

    closed = ticket_close_as_duplicate(ticket=second, original=first, agent=agent)

    assert closed.notice is not None
    assert closed.notice.text.startswith("Thank you! We already have your earlier message")
    assert first.reference in closed.notice.text


def test_the_customers_own_language_wins_over_a_guess(site: ChannelAccount, agent) -> None:
    first = factories.conversation(site, identity=("api", "c"), thread_key="1").ticket
    second = factories.conversation(site, identity=("api", "c"), thread_key="2",
                                    text="Hello, any news?").ticket  # fmt: skip
    Customer.objects.filter(pk=first.requester_id).update(language="ru")
    second.requester.refresh_from_db()

    closed = ticket_close_as_duplicate(ticket=second, original=first, agent=agent)

    assert closed.notice is not None
    assert closed.notice.text.startswith("Спасибо!")


def test_without_notify_the_customer_is_not_written_to(site: ChannelAccount, agent) -> None:
    first = factories.conversation(site, identity=("api", "c"), thread_key="1").ticket
    second = factories.conversation(site, identity=("api", "c"), thread_key="2").ticket

    closed = ticket_close_as_duplicate(ticket=second, original=first, agent=agent, notify=False)

    assert closed.notice is None
    assert not Message.objects.filter(direction="out").exists()
    assert Ticket.objects.get(pk=second.pk).status == Status.CLOSED


def test_a_related_link_becomes_the_duplicate_link(site: ChannelAccount, agent) -> None:
    first = factories.conversation(site, identity=("api", "c"), thread_key="1").ticket
    second = factories.conversation(site, identity=("api", "c"), thread_key="2").ticket
    ticket_link(ticket=first, other=second, agent=agent)

    ticket_close_as_duplicate(ticket=second, original=first, agent=agent, notify=False)

    (link,) = TicketLink.objects.all()
    assert (link.source_id, link.target_id, link.kind) == (second.pk, first.pk, "duplicate")


def test_what_cannot_be_a_duplicate_is_refused_and_nothing_changes(
    site: ChannelAccount, agent
) -> None:
    mine = factories.conversation(site, identity=("api", "c"), thread_key="1").ticket
    also_mine = factories.conversation(site, identity=("api", "c"), thread_key="2").ticket
    someone_elses = factories.conversation(site, identity=("api", "d"), thread_key="3").ticket
    closed = factories.conversation(site, identity=("api", "c"), thread_key="4").ticket
    ticket_update(ticket=closed, actor=Actor.system(), status=Status.CLOSED)

    with pytest.raises(ValidationFailed) as other_customer:
        ticket_close_as_duplicate(ticket=mine, original=someone_elses, agent=agent)
    with pytest.raises(Conflict) as into_closed:
        ticket_close_as_duplicate(ticket=mine, original=closed, agent=agent)
    with pytest.raises(Conflict) as already_closed:
        ticket_close_as_duplicate(ticket=closed, original=mine, agent=agent)
    with pytest.raises(ValidationFailed):
        ticket_close_as_duplicate(ticket=mine, original=mine, agent=agent)

    assert other_customer.value.fields == {"original": "other_customer"}
    assert into_closed.value.fields == {"original": "closed"}
    assert already_closed.value.fields == {"ticket": "closed"}
    assert not TicketLink.objects.exists()
    assert not Message.objects.filter(direction="out").exists()
    assert Ticket.objects.get(pk=mine.pk).status == Status.NEW
    assert Ticket.objects.get(pk=also_mine.pk).status == Status.NEW


def test_a_channel_that_takes_no_message_now_closes_without_telling(
    site: ChannelAccount, agent
) -> None:
    phone, _ = factories.channel("phone", group_name="General")
    call = factories.conversation(phone, identity=("phone", "+79161234567"), thread_key="c").ticket
    other = factories.conversation(site, identity=("phone", "+79161234567"), thread_key="s").ticket

    closed = ticket_close_as_duplicate(ticket=call, original=other, agent=agent)

    assert closed.notice is None
    assert Ticket.objects.get(pk=call.pk).status == Status.CLOSED
    assert _log(call, "duplicate_of") == [("", other.reference)]
