"""When will a person answer? The honest promise every auto-reply makes.

Acknowledgements of new email tickets, out-of-hours replies on any channel and the live
chat's "nobody is free yet" notice all tell the customer the same thing, computed here from
the group's first-reply target and its business hours: "we usually answer within 2 hours;
it is Saturday now, we will answer on Monday morning".

``describe_promise`` speaks the active language (wrap it in ``translation.override``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext

from unidesk.accounts.models import Group
from unidesk.accounts.selectors import calendar_for
from unidesk.core import clock

DEFAULT_TARGET_MINUTES = 120


@dataclass(frozen=True)
class AnswerPromise:
    """What to tell a customer who writes at ``at``."""

    at: datetime
    target_minutes: int
    open_now: bool
    # The start of the next working period when the team is not working at ``at``.
    opens_at: datetime | None
    # When a person should have answered: the target counted in working time.
    expected_by: datetime
    tz: ZoneInfo
    holiday_now: bool = False
    # Today (in the group's zone) has no working hours at all: a weekend or a holiday.
    day_off_now: bool = False


def answer_promise(group: Group | None, *, at: datetime | None = None) -> AnswerPromise:
    moment = at or clock.now()
    calendar = calendar_for(group)
    minutes = group.first_reply_target_minutes if group is not None else DEFAULT_TARGET_MINUTES
    open_now = calendar.is_open(moment)
    local_day = moment.astimezone(calendar.tz).date()
    return AnswerPromise(
        at=moment,
        target_minutes=minutes,
        open_now=open_now,
        opens_at=None if open_now else calendar.next_open(moment),
        expected_by=calendar.add_business_seconds(moment, minutes * 60),
        tz=calendar.tz,
        holiday_now=local_day in calendar.holidays,
        day_off_now=not calendar.works_on(local_day),
    )


def describe_duration(minutes: int) -> str:
    """ "2 hours", "1 hour 30 minutes", "2 days" in the active language, phrased to follow
    "within" (the Russian catalogue has the genitive: "в течение 2 часов")."""
    if minutes >= 24 * 60 and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if rest or not hours:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", rest) % {"n": rest})
    return " ".join(parts)


def describe_promise(promise: AnswerPromise) -> str:
    """One or two sentences for the customer, in the active language."""
    usual = gettext("We usually answer within %(duration)s.") % {
        "duration": describe_duration(promise.target_minutes)
    }
    if promise.open_now or promise.opens_at is None:
        return usual
    return f"{usual} {_closed_now(promise)} {_when(promise.opens_at, promise)}"


def _closed_now(promise: AnswerPromise) -> str:
    local = promise.at.astimezone(promise.tz)
    if promise.holiday_now:
        return gettext("Today is a holiday for our team.")
    if promise.day_off_now:
        return gettext("It is %(weekday)s now, a day off for our team.") % {
            "weekday": _weekday(local, case="nominative")
        }
    opens_local = promise.opens_at.astimezone(promise.tz) if promise.opens_at else local
    if opens_local.date() == local.date():
        return gettext("Our working day has not started yet.")
    return gettext("Our working day is over.")


def _when(opens_at: datetime, promise: AnswerPromise) -> str:
    local_now = promise.at.astimezone(promise.tz)
    opens = opens_at.astimezone(promise.tz)
    days_ahead = (opens.date() - local_now.date()).days
    clock_time = opens.strftime("%H:%M")
    part = _part_of_day(opens)
    if days_ahead == 0:
        return gettext("We will answer today from %(time)s.") % {"time": clock_time}
    if days_ahead == 1:
        return gettext("We will answer tomorrow %(part)s, from %(time)s.") % {
            "part": part,
            "time": clock_time,
        }
    if days_ahead < 7:
        return gettext("We will answer on %(weekday)s %(part)s, from %(time)s.") % {
            "weekday": _weekday(opens, case="accusative"),
            "part": part,
            "time": clock_time,
        }
    return gettext("We will answer on %(date)s, from %(time)s.") % {
        "date": date_format(opens.date(), "j E"),
        "time": clock_time,
    }


def _part_of_day(moment: datetime) -> str:
    if moment.hour < 12:
        return pgettext("answer on <day> …", "in the morning")
    if moment.hour < 17:
        return pgettext("answer on <day> …", "in the afternoon")
    return pgettext("answer on <day> …", "in the evening")


def _weekday(moment: datetime, *, case: str) -> str:
    # Russian needs the accusative after "в" ("в понедельник", "в среду"); English does not.
    names_nominative = (
        pgettext("weekday", "Monday"),
        pgettext("weekday", "Tuesday"),
        pgettext("weekday", "Wednesday"),
        pgettext("weekday", "Thursday"),
        pgettext("weekday", "Friday"),
        pgettext("weekday", "Saturday"),
        pgettext("weekday", "Sunday"),
    )
    names_accusative = (
        pgettext("on <weekday>", "Monday"),
        pgettext("on <weekday>", "Tuesday"),
        pgettext("on <weekday>", "Wednesday"),
        pgettext("on <weekday>", "Thursday"),
        pgettext("on <weekday>", "Friday"),
        pgettext("on <weekday>", "Saturday"),
        pgettext("on <weekday>", "Sunday"),
    )
    names = names_accusative if case == "accusative" else names_nominative
    return names[moment.weekday()]
