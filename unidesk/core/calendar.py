"""Business hours: when a team works, and time counted only while it works.

A ``BusinessCalendar`` is a weekly schedule in one time zone plus holidays. All answers are
aware datetimes; local times are resolved through ``zoneinfo`` per day, so a schedule keeps
its wall-clock hours across daylight-saving changes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from unidesk.core.errors import ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Span = tuple[int, int]  # minutes from local midnight, end exclusive, end <= 1440


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    weekly: tuple[tuple[Span, ...], ...]  # Monday first
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        return cls(tz=_zone(time_zone), weekly=tuple(((0, MINUTES_PER_DAY),) for _ in DAYS))

    @classmethod
    def from_spec(
        cls,
        *,
        time_zone: str,
        weekly: Mapping[str, Sequence[str]],
        holidays: Sequence[str] = (),
    ) -> BusinessCalendar:
        """Build from the stored form: ``{"mon": ["09:00-13:00", "14:00-18:00"], …}`` and
        holiday dates as ``YYYY-MM-DD``. Raises ValidationFailed naming the bad part."""
        unknown = set(weekly) - set(DAYS)
        if unknown:
            raise ValidationFailed(
                f"Unknown day {sorted(unknown)[0]!r}; use {', '.join(DAYS)}.",
                fields={"weekly": "invalid_day"},
            )
        days = tuple(_parse_spans(day, weekly.get(day, ())) for day in DAYS)
        if not any(days):
            raise ValidationFailed(
                "A schedule needs at least one working period.", fields={"weekly": "empty"}
            )
        parsed_holidays = set()
        for raw in holidays:
            try:
                parsed_holidays.add(date.fromisoformat(str(raw)))
            except ValueError:
                raise ValidationFailed(
                    f"{raw!r} is not a date (YYYY-MM-DD).", fields={"holidays": "invalid"}
                ) from None
        return cls(tz=_zone(time_zone), weekly=days, holidays=frozenset(parsed_holidays))

    # --- questions -------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        return any(start <= at < end for start, end in self._day_periods(local.date()))

    def works_on(self, day: date) -> bool:
        """Whether ``day`` (a local date) has any working period."""
        return bool(self._day_periods(day))

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, otherwise the start of the next working period."""
        for start, end in self.periods(at):
            if end > at:
                return max(start, at)
        raise ValidationFailed("The schedule never opens.")  # pragma: no cover (from_spec)

    def periods(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (aware, in this calendar's zone) that end after ``since``.
        Endless: every calendar has at least one working period a week."""
        first_day = since.astimezone(self.tz).date() - timedelta(days=1)
        for offset in itertools.count():
            for start, end in self._day_periods(first_day + timedelta(days=offset)):
                if end > since:
                    yield start, end

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two moments (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        total = 0.0
        for period_start, period_end in self.periods(start):
            if period_start >= end:
                break
            overlap = min(period_end, end) - max(period_start, start)
            total += max(0.0, overlap.total_seconds())
        return total

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment when ``seconds`` of working time have passed after ``start``."""
        remaining = max(0.0, seconds)
        for period_start, period_end in self.periods(start):
            begin = max(period_start, start)
            available = (period_end - begin).total_seconds()
            if remaining <= available:
                return begin + timedelta(seconds=remaining)
            remaining -= available
        raise ValidationFailed("The schedule has no working time ahead.")  # pragma: no cover

    # --- internals -------------------------------------------------------------------------

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        periods = []
        for start_minute, end_minute in self.weekly[day.weekday()]:
            start = self._local(day, start_minute)
            end = self._local(day, end_minute)
            if end > start:
                periods.append((start, end))
        return periods

    def _local(self, day: date, minute: int) -> datetime:
        if minute >= MINUTES_PER_DAY:
            naive = datetime.combine(day + timedelta(days=1), time(0, 0))
        else:
            naive = datetime.combine(day, time(minute // 60, minute % 60))
        # Round-trip through UTC so a wall time skipped by a DST change lands on a real instant.
        return naive.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"Unknown time zone {name!r}.", fields={"time_zone": "invalid"}
        ) from None


def _parse_spans(day: str, raw_spans: Sequence[str]) -> tuple[Span, ...]:
    spans: list[Span] = []
    for raw in raw_spans:
        match = _SPAN.match(str(raw))
        if not match:
            raise ValidationFailed(
                f"{day}: {raw!r} is not a period like 09:00-18:00.",
                fields={f"weekly.{day}": "invalid"},
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= MINUTES_PER_DAY or end > MINUTES_PER_DAY or end <= start:
            raise ValidationFailed(
                f"{day}: {raw!r} does not start before it ends within one day.",
                fields={f"weekly.{day}": "invalid"},
            )
        spans.append((start, end))
    spans.sort()
    for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
        if next_start < previous_end:
            raise ValidationFailed(
                f"{day}: working periods overlap.", fields={f"weekly.{day}": "overlap"}
            )
    return tuple(spans)
