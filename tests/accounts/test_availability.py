"""The promise auto-replies make: when a person will answer, honestly, in ru and en."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from unidesk.accounts.availability import answer_promise, describe_duration, describe_promise
from unidesk.accounts.models import BusinessHours, Group

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def office(db: None) -> Group:
    hours = BusinessHours.objects.create(
        name="Office",
        time_zone="Europe/Moscow",
        weekly={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=["2026-12-31"],
    )
    return Group.objects.create(
        name="Billing", first_reply_target_minutes=120, business_hours=hours
    )


def promise_text(group: Group, at: datetime, language: str) -> str:
    with translation.override(language):
        return describe_promise(answer_promise(group, at=at))


def test_during_working_hours_only_the_usual_time_is_promised(office: Group) -> None:
    wednesday_noon = datetime(2026, 12, 9, 12, 0, tzinfo=MSK)
    promise = answer_promise(office, at=wednesday_noon)

    assert promise.open_now
    assert promise.expected_by == datetime(2026, 12, 9, 14, 0, tzinfo=MSK)
    assert promise_text(office, wednesday_noon, "en") == "We usually answer within 2 hours."
    assert promise_text(office, wednesday_noon, "ru") == "Обычно мы отвечаем в течение 2 часов."


def test_on_saturday_the_customer_hears_monday_morning(office: Group) -> None:
    saturday = datetime(2026, 12, 12, 15, 30, tzinfo=MSK)
    promise = answer_promise(office, at=saturday)

    assert not promise.open_now
    assert promise.opens_at == datetime(2026, 12, 14, 9, 0, tzinfo=MSK)
    assert promise.expected_by == datetime(2026, 12, 14, 11, 0, tzinfo=MSK)
    assert promise_text(office, saturday, "en") == (
        "We usually answer within 2 hours. It is Saturday now, a day off for our team. "
        "We will answer on Monday in the morning, from 09:00."
    )
    assert promise_text(office, saturday, "ru") == (
        "Обычно мы отвечаем в течение 2 часов. Сейчас суббота, у нашей команды выходной. "
        "Мы ответим в понедельник утром, с 09:00."
    )


def test_friday_evening_is_the_end_of_the_working_day(office: Group) -> None:
    friday_evening = datetime(2026, 12, 11, 19, 0, tzinfo=MSK)

    assert promise_text(office, friday_evening, "en") == (
        "We usually answer within 2 hours. Our working day is over. "
        "We will answer on Monday in the morning, from 09:00."
    )


def test_a_weeknight_promises_tomorrow(office: Group) -> None:
    tuesday_night = datetime(2026, 12, 8, 23, 15, tzinfo=MSK)

    assert promise_text(office, tuesday_night, "ru") == (
        "Обычно мы отвечаем в течение 2 часов. Наш рабочий день закончился. "
        "Мы ответим завтра утром, с 09:00."
    )


def test_early_morning_promises_today(office: Group) -> None:
    early = datetime(2026, 12, 9, 6, 40, tzinfo=MSK)

    assert promise_text(office, early, "en") == (
        "We usually answer within 2 hours. Our working day has not started yet. "
        "We will answer today from 09:00."
    )


def test_a_holiday_is_named_as_such_and_skipped(office: Group) -> None:
    new_years_eve = datetime(2026, 12, 31, 11, 0, tzinfo=MSK)
    promise = answer_promise(office, at=new_years_eve)

    assert promise.opens_at == datetime(2027, 1, 1, 9, 0, tzinfo=MSK)
    assert "Today is a holiday for our team." in promise_text(office, new_years_eve, "en")
    assert "Сегодня у нашей команды праздничный день." in promise_text(office, new_years_eve, "ru")


def test_a_group_without_hours_works_around_the_clock(db: None) -> None:
    group = Group.objects.create(name="Night shift", first_reply_target_minutes=30)
    sunday_night = datetime(2026, 12, 13, 3, 0, tzinfo=MSK)

    assert answer_promise(group, at=sunday_night).open_now
    assert promise_text(group, sunday_night, "en") == "We usually answer within 30 minutes."


@pytest.mark.parametrize(
    ("minutes", "english", "russian"),
    [
        (1, "1 minute", "1 минуты"),
        (45, "45 minutes", "45 минут"),
        (60, "1 hour", "1 часа"),
        (90, "1 hour 30 minutes", "1 часа 30 минут"),
        (300, "5 hours", "5 часов"),
        (1440, "1 day", "1 дня"),
        (2880, "2 days", "2 дней"),
    ],
)
def test_durations_read_naturally_after_within(minutes: int, english: str, russian: str) -> None:
    with translation.override("en"):
        assert describe_duration(minutes) == english
    with translation.override("ru"):
        assert describe_duration(minutes) == russian
