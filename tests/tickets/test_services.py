import pytest

from tests import factories
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, ValidationFailed
from unidesk.customers.models import CustomerMerge
from unidesk.tickets.events import CustomersMerged, TicketUpdated
from unidesk.tickets.models import Activity, Priority, Status, Ticket
from unidesk.tickets.services import customer_merge, note_add, ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    account, _ = factories.channel("api", group_name="General")
    return factories.conversation(account, identity=("email", "ann@example.com")).ticket


def test_ticket_numbers_are_unique_and_increasing() -> None:
    account, _ = factories.channel("api")
    numbers = [factories.conversation(account).ticket.number for _ in range(3)]

    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 3
    assert numbers[0] >= 1001


def test_every_change_is_logged_with_who_old_and_new(ticket, published) -> None:
    anna = factories.agent(role="supervisor", name="Anna")
    actor = Actor.for_agent(anna)

    ticket_update(ticket=ticket, actor=actor, status=Status.OPEN, priority=Priority.HIGH,
                  assignee=anna, tags=["Delivery"])  # fmt: skip

    log = {a.field: a for a in Activity.objects.filter(ticket=ticket).exclude(field="created")}
    assert (log["status"].old_value, log["status"].new_value) == ("new", "open")
    assert (log["priority"].old_value, log["priority"].new_value) == ("normal", "high")
    assert (log["assignee"].old_value, log["assignee"].new_value) == ("", "Anna")
    assert log["tags"].new_value == "delivery"
    assert {a.actor_name for a in log.values()} == {"Anna"}
    (event,) = [e for e in published if isinstance(e, TicketUpdated)]
    assert set(event.changes) == {"status", "priority", "assignee", "tags"}


def test_an_update_that_changes_nothing_logs_nothing(ticket, published) -> None:
    ticket_update(ticket=ticket, actor=Actor.system(), status=Status.NEW, tags=[])

    assert not Activity.objects.filter(ticket=ticket).exclude(field="created").exists()
    assert not [e for e in published if isinstance(e, TicketUpdated)]


def test_solving_stamps_solved_at_and_reopening_clears_it(ticket) -> None:
    actor = Actor.system()
    solved = ticket_update(ticket=ticket, actor=actor, status=Status.SOLVED)
    assert solved.solved_at is not None

    reopened = ticket_update(ticket=ticket, actor=actor, status=Status.OPEN)

    assert reopened.solved_at is None
    assert reopened.reopen_count == 1


def test_closing_is_final(ticket) -> None:
    actor = Actor.system()
    closed = ticket_update(ticket=ticket, actor=actor, status=Status.CLOSED)
    assert closed.closed_at is not None
    assert closed.solved_at is not None

    with pytest.raises(Conflict):
        ticket_update(ticket=ticket, actor=actor, status=Status.OPEN)


def test_a_deactivated_agent_cannot_be_assigned(ticket) -> None:
    gone = factories.agent()
    gone.is_active = False
    gone.save()

    with pytest.raises(ValidationFailed):
        ticket_update(ticket=ticket, actor=Actor.system(), assignee=gone)


def test_tags_are_normalised_and_limited(ticket) -> None:
    updated = ticket_update(ticket=ticket, actor=Actor.system(), tags=[" VIP ", "vip", "Опт"])

    assert sorted(updated.tags.values_list("name", flat=True)) == ["vip", "опт"]
    with pytest.raises(ValidationFailed):
        ticket_update(ticket=ticket, actor=Actor.system(), tags=[f"t{i}" for i in range(51)])


def test_a_note_is_internal_and_does_not_count_as_a_response(ticket) -> None:
    agent = factories.agent(groups=["General"])

    note = note_add(ticket=ticket, author=agent, text="Проверить на складе")

    ticket.refresh_from_db()
    assert note.direction == "note"
    assert note.delivery_status == ""
    assert ticket.first_response_at is None
    assert ticket.agent_reply_count == 0


def test_merging_moves_identities_tickets_and_history_and_is_recorded(ticket, published) -> None:
    account, _ = factories.channel("api")
    other = factories.conversation(account, identity=("phone", "+79990001122"), name="Анна").ticket
    supervisor = factories.agent(role="supervisor", name="Sergey")
    source, target = other.requester, ticket.requester

    merge = customer_merge(source=source, target=target, actor=Actor.for_agent(supervisor))

    assert Ticket.objects.get(pk=other.pk).requester_id == target.pk
    assert {i.value for i in target.identities.all()} == {"ann@example.com", "+79990001122"}
    assert merge.moved == {
        "identities": 1, "tickets": 1, "messages": 1, "merged_before": 0,
        "identity_values": ["phone:+79990001122"], "ticket_numbers": [other.number],
    }  # fmt: skip
    assert CustomerMerge.objects.get().actor_name == "Sergey"
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert Activity.objects.filter(ticket=other, field="requester").exists()
    assert any(isinstance(e, CustomersMerged) for e in published)
    with pytest.raises(Conflict):
        customer_merge(source=source, target=target, actor=Actor.system())
    with pytest.raises(ValidationFailed):
        customer_merge(source=target, target=target, actor=Actor.system())
