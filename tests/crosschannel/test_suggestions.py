"""When a customer writes a phone number or an address that belongs to another customer,
unidesk suggests merging the two — after the message is stored, never automatically."""

from __future__ import annotations

import pytest

from tests import factories
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import reply_send
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, PermissionDenied
from unidesk.crosschannel.events import MergeSuggested
from unidesk.crosschannel.models import MergeSuggestion, SuggestionState
from unidesk.crosschannel.services import merge_suggestion_dismiss
from unidesk.customers.models import Customer
from unidesk.tickets.services import customer_merge, note_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivan(site: ChannelAccount) -> Customer:
    """A customer known by email and by WhatsApp number."""
    customer = factories.conversation(
        site, identity=("email", "ivan.petrov@mail.ru"), name="Иван Петров"
    ).ticket.requester
    customer.identities.create(kind="whatsapp", value="+79123456789")
    return customer


def _write(account: ChannelAccount, who: str, text: str, **extra):
    return factories.conversation(account, identity=("telegram", who), text=text, **extra)


def test_an_address_in_a_chat_suggests_the_customer_it_belongs_to(
    bot: ChannelAccount, ivan: Customer, run_tasks, published
) -> None:
    written = _write(bot, "700100200", "Здравствуйте! Моя почта Ivan.Petrov@Mail.ru, заказ 4411")
    assert not MergeSuggestion.objects.exists()  # not inside the ingestion transaction

    run_tasks()

    suggestion = MergeSuggestion.objects.get()
    assert suggestion.customer_id == written.ticket.requester_id
    assert suggestion.candidate_id == ivan.pk
    assert (suggestion.kind, suggestion.value, suggestion.written) == (
        "email", "ivan.petrov@mail.ru", "Ivan.Petrov@Mail.ru",
    )  # fmt: skip
    assert suggestion.ticket_id == written.ticket.pk
    assert suggestion.message_id == written.message.pk
    assert suggestion.state == SuggestionState.PENDING
    assert any(
        isinstance(e, MergeSuggested) and e.suggestion_id == suggestion.pk for e in published
    )
    # Only a suggestion: nothing was merged.
    assert written.ticket.requester.merged_into_id is None
    assert ivan.identities.count() == 2


@pytest.mark.parametrize(
    "text", ["мой номер 8 (912) 345-67-89", "+7 912 345 67 89", "WhatsApp: 89123456789"]
)
def test_a_phone_number_in_any_format_matches_the_stored_one(
    bot: ChannelAccount, ivan: Customer, run_tasks, text: str
) -> None:
    _write(bot, "1", text)
    run_tasks()

    assert MergeSuggestion.objects.get().candidate_id == ivan.pk


def test_the_customers_own_address_or_an_unknown_one_suggests_nothing(
    site: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    factories.conversation(
        site, identity=("email", "ivan.petrov@mail.ru"), text="Пишите на ivan.petrov@mail.ru"
    )
    factories.conversation(site, identity=("email", "x@example.com"), text="Мой 8 999 000-00-00")
    run_tasks()

    assert not MergeSuggestion.objects.exists()


def test_the_same_pair_is_suggested_once_whoever_writes_whose_address(
    bot: ChannelAccount, site: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    stranger = _write(bot, "5", "ivan.petrov@mail.ru").ticket.requester
    _write(bot, "5", "ещё раз: ivan.petrov@mail.ru, +79123456789", thread_key="again")
    factories.conversation(
        site, identity=("email", "ivan.petrov@mail.ru"), text="а я в телеграме", thread_key="t"
    )
    stranger.identities.create(kind="email", value="stranger@example.com")
    factories.conversation(site, identity=("email", "ivan.petrov@mail.ru"),
                           text="мой второй адрес stranger@example.com")  # fmt: skip
    run_tasks()

    assert MergeSuggestion.objects.count() == 1


def test_a_dismissed_pair_stays_dismissed(bot: ChannelAccount, ivan: Customer, run_tasks) -> None:
    agent = factories.agent(groups=["General"])
    _write(bot, "5", "ivan.petrov@mail.ru")
    run_tasks()
    suggestion = MergeSuggestion.objects.get()

    merge_suggestion_dismiss(suggestion=suggestion, agent=agent)
    _write(bot, "5", "я же писал: ivan.petrov@mail.ru", thread_key="later")
    run_tasks()

    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.DISMISSED
    assert suggestion.decided_by == agent
    assert MergeSuggestion.objects.count() == 1


def test_trainees_cannot_dismiss_and_a_merged_pair_cannot_be_dismissed(
    bot: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    trainee = factories.agent(role="trainee", groups=["General"])
    agent = factories.agent(groups=["General"])
    stranger = _write(bot, "5", "ivan.petrov@mail.ru").ticket.requester
    run_tasks()
    suggestion = MergeSuggestion.objects.get()

    with pytest.raises(PermissionDenied):
        merge_suggestion_dismiss(suggestion=suggestion, agent=trainee)
    customer_merge(source=stranger, target=ivan, actor=Actor.for_agent(agent))
    run_tasks()
    with pytest.raises(Conflict):
        merge_suggestion_dismiss(suggestion=suggestion, agent=agent)
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.decided_by) == (SuggestionState.MERGED, agent)


def test_replies_and_notes_that_mention_an_address_suggest_nothing(
    bot: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    agent = factories.agent(groups=["General"])
    ticket = _write(bot, "5", "Здравствуйте").ticket
    reply_send(ticket=ticket, author=agent, text="Это ваш адрес ivan.petrov@mail.ru?")
    note_add(ticket=ticket, author=agent, text="+7 912 345-67-89 — его WhatsApp")
    run_tasks()

    assert not MergeSuggestion.objects.exists()


def test_answers_of_a_form_are_looked_through_too(bot: ChannelAccount, ivan: Customer, run_tasks):
    _write(bot, "5", "Хочу вернуть товар", metadata={"form": {"phone": "8 912 345 67 89"}})
    run_tasks()

    assert MergeSuggestion.objects.get().value == "+79123456789"


def test_suggestions_follow_a_merge(
    bot: ChannelAccount, site: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    agent = factories.agent(groups=["General"])
    anna = factories.conversation(site, identity=("email", "anna@example.com")).ticket.requester
    chat = _write(bot, "5", "я Иван, ivan.petrov@mail.ru; жена — anna@example.com").ticket
    run_tasks()
    stranger = chat.requester
    assert MergeSuggestion.objects.count() == 2

    customer_merge(source=stranger, target=ivan, actor=Actor.for_agent(agent))
    run_tasks()

    settled = MergeSuggestion.objects.get(candidate=ivan)
    assert settled.state == SuggestionState.MERGED
    moved = MergeSuggestion.objects.get(candidate=anna)
    assert (moved.customer_id, moved.state) == (ivan.pk, SuggestionState.PENDING)


def test_a_suggestion_that_would_pair_a_customer_with_itself_after_a_merge_goes(
    bot: ChannelAccount, site: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    stranger = _write(bot, "5", "ivan.petrov@mail.ru").ticket.requester
    other = _write(bot, "6", "ivan.petrov@mail.ru").ticket.requester
    run_tasks()
    assert MergeSuggestion.objects.count() == 2

    customer_merge(source=stranger, target=other, actor=Actor.system())
    run_tasks()

    # stranger→ivan would become other→ivan, which already exists: one is left.
    (left,) = MergeSuggestion.objects.all()
    assert (left.customer_id, left.candidate_id) == (other.pk, ivan.pk)


def test_a_message_of_a_customer_merged_meanwhile_suggests_for_the_survivor(
    bot: ChannelAccount, site: ChannelAccount, ivan: Customer, run_tasks
) -> None:
    stranger = _write(bot, "5", "ivan.petrov@mail.ru").ticket.requester
    survivor = factories.conversation(site, identity=("email", "s@example.com")).ticket.requester
    customer_merge(source=stranger, target=survivor, actor=Actor.system())
    run_tasks()

    suggestion = MergeSuggestion.objects.get()
    assert (suggestion.customer_id, suggestion.candidate_id) == (survivor.pk, ivan.pk)
