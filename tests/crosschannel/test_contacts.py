"""Phone numbers and addresses customers give in free text, found and normalised the way
identities are stored — and what only looks like them left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unidesk.crosschannel.contacts import MAX_VALUES, contacts_in
from unidesk.customers.identities import normalize_identity


def found(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.value) for c in contacts_in(text)]


IVAN = [("phone", "+79123456789")]


@pytest.mark.parametrize(
    "text",
    [
        "+7 (912) 345-67-89",
        "+7(912)345-67-89",
        "+7 912 345 67 89",
        "+79123456789",
        "8 912 345 67 89",
        "8 (912) 345-67-89",
        "8-912-345-67-89",
        "89123456789",
        "8.912.345.67.89",
        "7 912 3456789",
        "(912) 345-67-89",
        "912 345-67-89",
        "Мой номер: 8(912)3456789, звоните после шести",
        "тел.8-912-345-67-89",
        "Телефон — +7\u00a0912\u00a0345\u201167\u201189",  # no-break spaces, non-breaking hyphens
        "８９１２３４５６７８９",  # full-width digits from a phone keyboard
        "WhatsApp: 79123456789",
        "Contact: Иван 79123456789",  # a Telegram contact card
    ],
)
def test_a_russian_number_in_every_way_people_write_it(text: str) -> None:
    assert found(text) == IVAN


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("call +1 (415) 555-2671 after 5", "+14155552671"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+380 44 123 4567", "+380441234567"),
        ("+375 29 123-45-67", "+375291234567"),
        ("+7 (7172) 12-34-56", "+77172123456"),
        ("8 800 555-35-35", "+78005553535"),
    ],
)
def test_international_and_landline_numbers(text: str, value: str) -> None:
    assert found(text) == [("phone", value)]


@pytest.mark.parametrize(
    "text",
    [
        "Заказ 9123456789",  # ten bare digits: an order number as often as a phone
        "заказ №89123456789",
        "order #89123456789",
        "карта 4276 8912 3456 7890",
        "2202 2061 2345 6789",
        "https://shop.example.com/orders/89123456789",
        "ORD-89123456789",
        "цена +500 руб",
        "+1 000 рублей",
        "2024-05-12 12:30",
        "ИНН 7712345678",
        "id: 100500",
        "a+79123456789",
    ],
)
def test_what_only_looks_like_a_phone_number_is_left_alone(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("пишите на Ivan.Petrov@Mail.RU.", "ivan.petrov@mail.ru"),
        ("<ann@example.com>", "ann@example.com"),
        ("mailto:ann@example.com?subject=Заказ", "ann@example.com"),
        ("ivan [at] mail [dot] ru", "ivan@mail.ru"),
        ("ivan (at) mail.ru", "ivan@mail.ru"),
        ("ivan собака mail.ru", "ivan@mail.ru"),
        ("кто@пример.рф", "кто@xn--e1afmkfd.xn--p1ai"),
        ("first.last+orders@sub.example.co.uk", "first.last+orders@sub.example.co.uk"),
    ],
)
def test_email_addresses_as_people_write_them(text: str, value: str) -> None:
    assert found(text) == [("email", value)]


@pytest.mark.parametrize("text", ["a@b", "x@y.z1", "@example.com", "user@", "me at home"])
def test_what_is_not_an_address_is_left_alone(text: str) -> None:
    assert found(text) == []


def test_several_values_in_the_order_written_without_repeats() -> None:
    text = (
        "Звоните 8 800 555-35-35 или +7 999 111-22-33, почта test@example.com; "
        "ещё раз: 8 (999) 111-22-33, TEST@example.com"
    )

    assert found(text) == [
        ("phone", "+78005553535"),
        ("phone", "+79991112233"),
        ("email", "test@example.com"),
    ]


def test_a_number_inside_an_address_is_not_taken_for_a_phone() -> None:
    assert found("89123456789@mail.ru") == [("email", "89123456789@mail.ru")]


def test_what_the_customer_wrote_is_kept_for_the_agent() -> None:
    (contact,) = contacts_in("мой номер 8 (912) 345-67-89.")

    assert contact.written == "8 (912) 345-67-89"


def test_a_long_list_is_cut_at_the_limit() -> None:
    text = " ".join(f"user{i}@example.com" for i in range(MAX_VALUES + 10))

    assert len(contacts_in(text)) == MAX_VALUES


@given(st.text(max_size=300))
def test_any_text_gives_values_normalised_as_identities_are(text: str) -> None:
    for contact in contacts_in(text):
        assert normalize_identity(contact.kind, contact.value) == contact.value
