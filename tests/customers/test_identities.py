"""Identity values are normalised so that the same address is always the same customer,
however a channel or a person spells it."""

from __future__ import annotations

import pytest

from unidesk.core.errors import ValidationFailed
from unidesk.customers.identities import canonical_phone, normalize_identity


@pytest.mark.parametrize(
    "written",
    [
        "+7 (912) 345-67-89",
        "+79123456789",
        "8 912 345 67 89",
        "89123456789",
        "8 (912) 345-67-89",
        "7 912 345 67 89",
        "007 912 345 67 89",
    ],
)
def test_russian_numbers_written_any_way_are_one_phone(written: str) -> None:
    assert normalize_identity("phone", written) == "+79123456789"


def test_a_number_written_with_a_plus_is_taken_as_it_is() -> None:
    # +84 is Viet Nam: eleven digits starting with 8, but the "+" says it is international.
    assert normalize_identity("phone", "+84 912 345 678") == "+84912345678"
    assert normalize_identity("phone", "+44 20 7946 0958") == "+442079460958"
    assert normalize_identity("phone", "0044 20 7946 0958") == "+442079460958"


def test_whatsapp_ids_are_always_international() -> None:
    # WhatsApp sends the number with its country code and without "+": 84… is Viet Nam.
    assert normalize_identity("whatsapp", "84912345678") == "+84912345678"
    assert normalize_identity("whatsapp", "79161234567") == "+79161234567"


@pytest.mark.parametrize("written", ["1234", "+1234567890123456", "call me", ""])
def test_what_is_not_a_phone_number_is_refused_with_the_field(written: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_identity("phone", written)

    assert "identity.value" in refused.value.fields


def test_canonical_phone_answers_none_instead_of_raising() -> None:
    assert canonical_phone("12") is None
    assert canonical_phone("8-800-555-35-35") == "+78005553535"
    assert canonical_phone("8-800-555-35-35", national_trunk=False) == "+88005553535"


def test_emails_are_lower_case_with_an_ascii_domain() -> None:
    assert normalize_identity("email", "<Ivan.Petrov@Mail.RU>") == "ivan.petrov@mail.ru"
    assert normalize_identity("email", "кто@Пример.рф") == "кто@xn--e1afmkfd.xn--p1ai"
