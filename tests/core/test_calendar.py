from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from unidesk.core.calendar import BusinessCalendar
from unidesk.core.errors import ValidationFailed

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def weekdays_nine_to_six(time_zone: str = "Europe/Moscow", holidays: tuple[str, ...] = ()):
    return BusinessCalendar.from_spec(
        time_zone=time_zone,
        weekly={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=holidays,
    )


def test_a_saturday_message_is_answered_on_monday_morning() -> None:
    calendar = weekdays_nine_to_six()
    saturday_noon = datetime(2026, 11, 21, 12, 0, tzinfo=MSK)

    assert not calendar.is_open(saturday_noon)
    assert calendar.next_open(saturday_noon) == datetime(2026, 11, 23, 9, 0, tzinfo=MSK)
    two_hours_later = calendar.add_business_seconds(saturday_noon, 2 * 3600)
    assert two_hours_later == datetime(2026, 11, 23, 11, 0, tzinfo=MSK)


def test_business_time_skips_the_weekend_and_a_holiday() -> None:
    calendar = weekdays_nine_to_six(holidays=("2026-11-23",))
    friday_five_pm = datetime(2026, 11, 20, 17, 0, tzinfo=MSK)
    tuesday_ten_am = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)

    # One hour on Friday, Monday is a holiday, one hour on Tuesday.
    assert calendar.business_seconds(friday_five_pm, tuesday_ten_am) == 2 * 3600


def test_time_inside_working_hours_counts_in_full() -> None:
    calendar = weekdays_nine_to_six()
    start = datetime(2026, 11, 18, 10, 0, tzinfo=MSK)

    assert calendar.is_open(start)
    assert calendar.next_open(start) == start
    assert calendar.business_seconds(start, start + timedelta(minutes=45)) == 45 * 60


def test_split_days_and_the_end_of_a_period_is_closed() -> None:
    calendar = BusinessCalendar.from_spec(
        time_zone="UTC", weekly={"mon": ["09:00-13:00", "14:00-18:00"]}
    )
    monday = datetime(2026, 11, 23, tzinfo=UTC)

    assert calendar.is_open(monday.replace(hour=12, minute=59))
    assert not calendar.is_open(monday.replace(hour=13))
    assert calendar.business_seconds(monday, monday + timedelta(days=1)) == 8 * 3600


def test_wall_clock_hours_hold_across_a_daylight_saving_change() -> None:
    calendar = weekdays_nine_to_six("Europe/Berlin")
    # Berlin leaves summer time on Sunday 2026-10-25.
    friday = datetime(2026, 10, 23, 17, 0, tzinfo=BERLIN)
    monday = datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN)

    assert calendar.business_seconds(friday, monday) == 2 * 3600
    assert calendar.next_open(datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN)).utcoffset() == (
        timedelta(hours=1)
    )


def test_always_open_counts_calendar_time() -> None:
    calendar = BusinessCalendar.always_open()
    start = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)

    assert calendar.business_seconds(start, start + timedelta(days=3)) == 3 * 86400


@pytest.mark.parametrize(
    ("weekly", "field"),
    [
        ({"mon": ["9-18"]}, "weekly.mon"),
        ({"mon": ["18:00-09:00"]}, "weekly.mon"),
        ({"mon": ["09:00-12:00", "11:00-15:00"]}, "weekly.mon"),
        ({"funday": ["09:00-12:00"]}, "weekly"),
        ({}, "weekly"),
    ],
)
def test_bad_schedules_are_refused_with_the_field_named(weekly: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        BusinessCalendar.from_spec(time_zone="UTC", weekly=weekly)

    assert field in refused.value.fields


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        BusinessCalendar.from_spec(time_zone="Mars/Olympus", weekly={"mon": ["09:00-10:00"]})

    assert "time_zone" in refused.value.fields
