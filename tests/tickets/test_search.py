"""Full-text search with Russian morphology, on whichever database the suite runs."""

import pytest

from tests import factories
from unidesk.tickets.models import Ticket
from unidesk.tickets.search import ticket_match

pytestmark = pytest.mark.django_db


def found(q: str) -> set[str]:
    match = ticket_match(q)
    assert match is not None
    return set(Ticket.objects.filter(match).values_list("subject", flat=True))


@pytest.fixture
def tickets():
    account, _ = factories.channel("api")
    factories.conversation(account, subject="Заказ не доставлен", text="Где мой заказ?")
    factories.conversation(account, subject="Возврат денег", text="Верните деньги за наушники")
    factories.conversation(account, subject="Card charged twice",
                           text="My refunds never arrived")  # fmt: skip


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        ("заказы", {"Заказ не доставлен"}),
        ("заказа", {"Заказ не доставлен"}),
        ("наушников", {"Возврат денег"}),
        ("деньгами", {"Возврат денег"}),
        ("refund", {"Card charged twice"}),
        ("charges", {"Card charged twice"}),
        ("возврат денег", {"Возврат денег"}),
        ("несуществующее", set()),
    ],
)
def test_word_forms_find_the_ticket(tickets, query, subjects) -> None:
    assert found(query) == subjects


@pytest.mark.parametrize("hostile", ['"', "NEAR(", "a OR b*", "') ; DROP TABLE x; --", "*", ":"])
def test_query_syntax_from_users_finds_nothing_and_breaks_nothing(tickets, hostile) -> None:
    match = ticket_match(hostile)

    assert match is None or not Ticket.objects.filter(match).exists()
    assert Ticket.objects.count() == 3


def test_an_empty_query_matches_nothing_special(tickets) -> None:
    assert ticket_match("   ") is None
