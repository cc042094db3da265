"""Reads for reports. Every report starts from ``metrics_visible_to`` /
``surveys_visible_to``, which hold who may see what:

* administrators and supervisors see every group, agent and channel;
* agents see the numbers of their own groups' tickets and of tickets assigned to them, may
  narrow to one of their groups or to themselves, and are refused other groups and agents;
* trainees see no reports.

Each metric counts the tickets whose own event falls in the period: created tickets by
creation, first response times by the moment of the first response, resolution times and
replies until solved by the (latest) solve, ratings by the moment they were given.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Trunc
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent, Role
from unidesk.accounts.selectors import agent_group_ids
from unidesk.core.errors import PermissionDenied, ValidationFailed
from unidesk.csat.models import Score, Survey
from unidesk.reports.models import TicketMetrics
from unidesk.reports.stats import EMPTY, Stats, stats, stats_by
from unidesk.tickets.models import Ticket

Interval = Literal["day", "week", "month"]
INTERVALS: Final = ("day", "week", "month")
MAX_POINTS: Final = 1000

DURATIONS: Final = (
    "first_response_seconds",
    "first_response_business_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
    "replies_to_solve",
)
COUNTS: Final = ("tickets_created", "tickets_solved", "backlog", "reopen_rate")
CSAT_METRICS: Final = ("csat_score", "csat_responses")
METRICS: Final = (*COUNTS, *DURATIONS, *CSAT_METRICS)

# Which moment places a ticket in a period, per duration.
_MOMENT_OF: Final = {
    "first_response_seconds": "first_response_at",
    "first_response_business_seconds": "first_response_at",
    "resolution_seconds": "solved_at",
    "resolution_business_seconds": "solved_at",
    "replies_to_solve": "solved_at",
}


@dataclass(frozen=True)
class ReportFilters:
    since: datetime
    until: datetime
    time_zone: ZoneInfo
    group_id: int | None = None
    agent_id: int | None = None
    channel: str = ""
    tag: str = ""
    priority: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group_id,
            "agent": self.agent_id,
            "channel": self.channel or None,
            "tag": self.tag or None,
            "priority": self.priority,
        }


# --- who may see what --------------------------------------------------------------------------


def may_see_reports(viewer: Agent) -> bool:
    return viewer.is_active and viewer.role != Role.TRAINEE


def check_access(viewer: Agent, filters: ReportFilters) -> None:
    """Refuse (PermissionDenied) a report the viewer may not read; see the module docstring."""
    if not may_see_reports(viewer):
        raise PermissionDenied(_("Reports are not available to trainees."))
    if viewer.sees_all_tickets:
        return
    if filters.group_id is not None and filters.group_id not in agent_group_ids(viewer):
        raise PermissionDenied(
            _("You can read the reports of your own groups only."), fields={"group": "forbidden"}
        )
    if filters.agent_id is not None and filters.agent_id != viewer.pk:
        raise PermissionDenied(
            _("You can read your own numbers, not a colleague's."), fields={"agent": "forbidden"}
        )


def _scope(viewer: Agent, group_field: str, agent_field: str) -> Q:
    if viewer.sees_all_tickets:
        return Q()
    return Q(**{f"{group_field}__in": agent_group_ids(viewer)}) | Q(**{agent_field: viewer.pk})


def metrics_visible_to(viewer: Agent, filters: ReportFilters) -> QuerySet[TicketMetrics]:
    check_access(viewer, filters)
    qs = TicketMetrics.objects.filter(_scope(viewer, "group_id", "agent_id"))
    if filters.group_id is not None:
        qs = qs.filter(group_id=filters.group_id)
    if filters.agent_id is not None:
        qs = qs.filter(agent_id=filters.agent_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.tag:
        qs = qs.filter(_tagged(filters.tag, "ticket_id"))
    return qs


def surveys_visible_to(viewer: Agent, filters: ReportFilters) -> QuerySet[Survey]:
    check_access(viewer, filters)
    qs = Survey.objects.filter(_scope(viewer, "group_id", "agent_id"))
    if filters.group_id is not None:
        qs = qs.filter(group_id=filters.group_id)
    if filters.agent_id is not None:
        qs = qs.filter(agent_id=filters.agent_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.priority is not None:
        qs = qs.filter(ticket__priority=filters.priority)
    if filters.tag:
        qs = qs.filter(_tagged(filters.tag, "ticket_id"))
    return qs


def _tagged(tag: str, ticket_field: str) -> Exists:
    return Exists(
        Ticket.tags.through.objects.filter(
            ticket_id=OuterRef(ticket_field), tag__name=tag.strip().lower()
        )
    )


def _in_period(field: str, filters: ReportFilters) -> Q:
    return Q(**{f"{field}__gte": filters.since, f"{field}__lt": filters.until})


# --- the summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsatSummary:
    responses: int = 0
    score_percent: float | None = None
    bad: int = 0
    okay: int = 0
    great: int = 0
    comments: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "responses": self.responses,
            "score_percent": self.score_percent,
            "distribution": {"bad": self.bad, "okay": self.okay, "great": self.great},
            "comments": self.comments,
        }


@dataclass(frozen=True)
class Summary:
    filters: ReportFilters
    tickets_created: int
    tickets_solved: int
    backlog: int
    reopened: int
    durations: dict[str, Stats]
    csat: CsatSummary

    @property
    def reopen_rate_percent(self) -> float | None:
        if not self.tickets_solved:
            return None
        return round(100 * self.reopened / self.tickets_solved, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.filters.since,
            "until": self.filters.until,
            "time_zone": self.filters.time_zone.key,
            "filters": self.filters.as_dict(),
            "tickets_created": self.tickets_created,
            "tickets_solved": self.tickets_solved,
            "backlog": self.backlog,
            "reopened": self.reopened,
            "reopen_rate_percent": self.reopen_rate_percent,
            **{name: self.durations[name].as_dict() for name in DURATIONS},
            "csat": self.csat.as_dict(),
        }


def _csat_summary(surveys: QuerySet[Survey]) -> CsatSummary:
    totals = surveys.aggregate(
        responses=Count("pk"),
        bad=Count("pk", filter=Q(score=Score.BAD)),
        okay=Count("pk", filter=Q(score=Score.OKAY)),
        great=Count("pk", filter=Q(score=Score.GREAT)),
        comments=Count("pk", filter=~Q(comment="")),
    )
    responses = totals["responses"]
    return CsatSummary(
        responses=responses,
        score_percent=round(100 * totals["great"] / responses, 1) if responses else None,
        bad=totals["bad"],
        okay=totals["okay"],
        great=totals["great"],
        comments=totals["comments"],
    )


def backlog_at(metrics: QuerySet[TicketMetrics], moment: datetime) -> int:
    """Tickets created before ``moment`` and not solved by then (by their latest solve):
    two index range counts rather than a scan of the history."""
    created = metrics.filter(created_at__lt=moment).count()
    solved = metrics.filter(solved_at__lt=moment).count()
    return max(0, created - solved)


def report_summary(viewer: Agent, filters: ReportFilters) -> Summary:
    metrics = metrics_visible_to(viewer, filters)
    created = metrics.filter(_in_period("created_at", filters)).count()
    solved_totals = metrics.filter(_in_period("solved_at", filters)).aggregate(
        solved=Count("pk"), reopened=Count("pk", filter=Q(reopen_count__gt=0))
    )
    first = stats(
        metrics.filter(_in_period("first_response_at", filters)),
        ["first_response_seconds", "first_response_business_seconds"],
    )
    resolution = stats(
        metrics.filter(_in_period("solved_at", filters)),
        ["resolution_seconds", "resolution_business_seconds", "replies_to_solve"],
    )
    surveys = surveys_visible_to(viewer, filters).filter(_in_period("rated_at", filters))
    return Summary(
        filters=filters,
        tickets_created=created,
        tickets_solved=solved_totals["solved"],
        backlog=backlog_at(metrics, filters.until),
        reopened=solved_totals["reopened"],
        durations={**first, **resolution},
        csat=_csat_summary(surveys),
    )


# --- over time ---------------------------------------------------------------------------------


def bucket_starts(filters: ReportFilters, interval: str) -> list[datetime]:
    """The local starts (naive, wall time in the report's zone) of every period that
    overlaps [since, until)."""
    zone = filters.time_zone
    first = _truncate(filters.since.astimezone(zone).replace(tzinfo=None), interval)
    last = filters.until.astimezone(zone).replace(tzinfo=None)
    starts = []
    current = first
    while current < last:
        starts.append(current)
        if len(starts) > MAX_POINTS:
            raise ValidationFailed(
                _("This period has more than %(n)s points; choose a longer interval.")
                % {"n": MAX_POINTS},
                fields={"interval": "too_many_points"},
            )
        current = _next(current, interval)
    return starts


def _truncate(moment: datetime, interval: str) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(start: datetime, interval: str) -> datetime:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


def _period_of(field: str, bounds: list[datetime]) -> Any:
    """The index of the period ``field`` falls in, from the periods' aware starts (the
    rows are already limited to the report's span). Comparing with boundaries computed in
    Python keeps time zones and daylight-saving changes exact on both databases and costs
    SQLite no Python call per row (its date truncation is one); the comparisons nest as a
    binary search, so a row takes about log2(periods) of them."""

    def between(first: int, last: int) -> Any:
        if first == last:
            return Value(first)
        middle = (first + last + 1) // 2
        return Case(
            When(**{f"{field}__lt": bounds[middle]}, then=between(first, middle - 1)),
            default=between(middle, last),
            output_field=IntegerField(),
        )

    return between(0, len(bounds) - 1)


@dataclass(frozen=True)
class _Periods:
    """How rows are put in periods: PostgreSQL truncates dates natively in the report's time
    zone (``date_trunc``, in C); SQLite, whose truncation is a Python call per row, compares
    with the boundaries instead. ``index_of`` turns what the database returns into the
    period's position."""

    interval: str
    bounds: list[datetime]
    postgres: bool

    def expression(self, field: str) -> Any:
        if self.postgres:
            return Trunc(field, self.interval, tzinfo=self.bounds[0].tzinfo)
        return _period_of(field, self.bounds)

    def index_of(self, value: Any) -> int | None:
        if not self.postgres:
            return int(value) if value is not None else None
        if value is None:
            return None
        # Through the ORM the start comes back aware; from a raw cursor as the naive wall
        # time date_trunc produced.
        if value.tzinfo is not None:
            value = value.astimezone(self.bounds[0].tzinfo).replace(tzinfo=None)
        return self._positions.get(value)

    @cached_property
    def _positions(self) -> dict[datetime, int]:
        return {bound.replace(tzinfo=None): i for i, bound in enumerate(self.bounds)}


def _periods(qs: QuerySet[Any], interval: str, bounds: list[datetime]) -> _Periods:
    return _Periods(
        interval=interval, bounds=bounds, postgres=connections[qs.db].vendor == "postgresql"
    )


def _counts_by_period(
    qs: QuerySet[Any], field: str, periods: _Periods, filters: ReportFilters, **extra: Any
) -> dict[int, dict[str, int]]:
    rows = (
        qs.filter(_in_period(field, filters))
        .annotate(period=periods.expression(field))
        .values("period")
        .annotate(n=Count("pk"), **extra)
        .order_by()
    )
    result: dict[int, dict[str, int]] = {}
    for row in rows:
        index = periods.index_of(row.pop("period"))
        if index is not None:
            result[index] = row
    return result


@dataclass(frozen=True)
class Point:
    start: datetime
    value: float | None
    count: int = 0
    stats: Stats | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"start": self.start, "value": self.value, "count": self.count}
        if self.stats is not None:
            data.update(median=self.stats.median, p90=self.stats.p90, mean=self.stats.mean)
        return data


@dataclass(frozen=True)
class Series:
    metric: str
    interval: str
    filters: ReportFilters
    points: list[Point]

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "interval": self.interval,
            "since": self.filters.since,
            "until": self.filters.until,
            "time_zone": self.filters.time_zone.key,
            "filters": self.filters.as_dict(),
            "points": [point.as_dict() for point in self.points],
        }


def report_timeseries(
    viewer: Agent, filters: ReportFilters, *, metric: str, interval: str
) -> Series:
    return report_series(viewer, filters, metrics=[metric], interval=interval)[metric]


def report_series(
    viewer: Agent, filters: ReportFilters, *, metrics: Sequence[str], interval: str
) -> dict[str, Series]:
    """Several metrics over the same periods, sharing their queries (the counts read the
    created and solved tickets once; durations measured from the same moment are ranked in
    one pass)."""
    for metric in metrics:
        if metric not in METRICS:
            raise ValidationFailed(
                _("Unknown metric %(metric)r; use one of %(known)s.")
                % {"metric": metric, "known": ", ".join(METRICS)},
                fields={"metric": "invalid"},
            )
    if interval not in INTERVALS:
        raise ValidationFailed(
            _("Unknown interval %(interval)r; use day, week or month.") % {"interval": interval},
            fields={"interval": "invalid"},
        )
    zone = filters.time_zone
    starts = [start.replace(tzinfo=zone) for start in bucket_starts(filters, interval)]
    points: dict[str, list[Point]] = {}
    counts = [m for m in metrics if m in COUNTS]
    if counts:
        points.update(_count_points(viewer, filters, counts, starts, interval))
    durations = [m for m in metrics if m in DURATIONS]
    for moment in dict.fromkeys(_MOMENT_OF[m] for m in durations):
        fields = [m for m in durations if _MOMENT_OF[m] == moment]
        points.update(
            _duration_points(
                viewer, filters, moment=moment, fields=fields, starts=starts, interval=interval
            )
        )
    csat = [m for m in metrics if m in CSAT_METRICS]
    if csat:
        points.update(_csat_points(viewer, filters, csat, starts, interval))
    return {
        metric: Series(metric=metric, interval=interval, filters=filters, points=points[metric])
        for metric in metrics
    }


def _duration_points(
    viewer: Agent,
    filters: ReportFilters,
    *,
    moment: str,
    fields: list[str],
    starts: list[datetime],
    interval: str,
) -> dict[str, list[Point]]:
    qs = metrics_visible_to(viewer, filters).filter(_in_period(moment, filters))
    periods = _periods(qs, interval, starts)
    found = {
        periods.index_of(key): value
        for key, value in stats_by(qs, fields, partition=periods.expression(moment)).items()
    }
    result: dict[str, list[Point]] = {}
    for field in fields:
        points = []
        for index, start in enumerate(starts):
            value = found.get(index, {}).get(field, EMPTY)
            points.append(Point(start=start, value=value.median, count=value.count, stats=value))
        result[field] = points
    return result


def _csat_points(
    viewer: Agent, filters: ReportFilters, metrics: list[str], starts: list[datetime], interval: str
) -> dict[str, list[Point]]:
    surveys = surveys_visible_to(viewer, filters)
    rows = _counts_by_period(
        surveys,
        "rated_at",
        _periods(surveys, interval, starts),
        filters,
        great=Count("pk", filter=Q(score=Score.GREAT)),
    )
    result: dict[str, list[Point]] = {metric: [] for metric in metrics}
    for index, start in enumerate(starts):
        row = rows.get(index, {"n": 0, "great": 0})
        responses = row["n"]
        score = round(100 * row["great"] / responses, 1) if responses else None
        for metric in metrics:
            value = responses if metric == "csat_responses" else score
            result[metric].append(Point(start=start, value=value, count=responses))
    return result


def _count_points(
    viewer: Agent, filters: ReportFilters, metrics: list[str], starts: list[datetime], interval: str
) -> dict[str, list[Point]]:
    qs = metrics_visible_to(viewer, filters)
    periods = _periods(qs, interval, starts)
    created = _counts_by_period(qs, "created_at", periods, filters)
    solved = _counts_by_period(
        qs, "solved_at", periods, filters, reopened=Count("pk", filter=Q(reopen_count__gt=0))
    )
    backlog = backlog_at(qs, filters.since) if "backlog" in metrics else 0
    result: dict[str, list[Point]] = {metric: [] for metric in metrics}
    for index, start in enumerate(starts):
        made = created.get(index, {}).get("n", 0)
        done = solved.get(index, {}).get("n", 0)
        reopened = solved.get(index, {}).get("reopened", 0)
        # The backlog at the end of each period: what was open before, plus what came in,
        # less what was solved.
        backlog = max(0, backlog + made - done)
        values: dict[str, Point] = {
            "tickets_created": Point(start=start, value=made, count=made),
            "tickets_solved": Point(start=start, value=done, count=done),
            "reopen_rate": Point(
                start=start, value=round(100 * reopened / done, 1) if done else None, count=done
            ),
            "backlog": Point(start=start, value=backlog, count=backlog),
        }
        for metric in metrics:
            result[metric].append(values[metric])
    return result


# --- side by side ------------------------------------------------------------------------------

Dimension = Literal["group", "agent", "channel"]
DIMENSIONS: Final = ("group", "agent", "channel")


@dataclass(frozen=True)
class BreakdownRow:
    key: Hashable
    created: int
    solved: int
    first_response: Stats
    first_response_business: Stats
    resolution: Stats
    resolution_business: Stats
    replies: Stats
    csat_responses: int
    csat_score: float | None
    label: str = ""


def report_breakdown(viewer: Agent, filters: ReportFilters, *, by: str) -> list[BreakdownRow]:
    """The main numbers per group, agent or channel, for tables beside the charts."""
    if by not in DIMENSIONS:
        raise ValidationFailed(_("Unknown breakdown."), fields={"by": "invalid"})
    column = {"group": "group_id", "agent": "agent_id", "channel": "channel"}[by]
    metrics = metrics_visible_to(viewer, filters)
    created = _grouped_counts(metrics.filter(_in_period("created_at", filters)), column)
    solved = _grouped_counts(metrics.filter(_in_period("solved_at", filters)), column)
    first = stats_by(
        metrics.filter(_in_period("first_response_at", filters)),
        ["first_response_seconds", "first_response_business_seconds"],
        partition=_column(column),
    )
    resolution = stats_by(
        metrics.filter(_in_period("solved_at", filters)),
        ["resolution_seconds", "resolution_business_seconds", "replies_to_solve"],
        partition=_column(column),
    )
    surveys = surveys_visible_to(viewer, filters).filter(_in_period("rated_at", filters))
    csat = {
        row[column]: row
        for row in surveys.values(column)
        .annotate(n=Count("pk"), great=Count("pk", filter=Q(score=Score.GREAT)))
        .order_by()
    }
    keys = set(created) | set(solved) | set(first) | set(resolution) | set(csat)
    rows = []
    for key in keys:
        f = first.get(key, {})
        r = resolution.get(key, {})
        c = csat.get(key, {"n": 0, "great": 0})
        rows.append(
            BreakdownRow(
                key=key,
                created=created.get(key, 0),
                solved=solved.get(key, 0),
                first_response=f.get("first_response_seconds", EMPTY),
                first_response_business=f.get("first_response_business_seconds", EMPTY),
                resolution=r.get("resolution_seconds", EMPTY),
                resolution_business=r.get("resolution_business_seconds", EMPTY),
                replies=r.get("replies_to_solve", EMPTY),
                csat_responses=c["n"],
                csat_score=round(100 * c["great"] / c["n"], 1) if c["n"] else None,
            )
        )
    return _labelled(rows, by)


def _column(name: str) -> Any:
    return F(name)


def _grouped_counts(qs: QuerySet[TicketMetrics], column: str) -> dict[Hashable, int]:
    return {row[column]: row["n"] for row in qs.values(column).annotate(n=Count("pk")).order_by()}


def _labelled(rows: list[BreakdownRow], by: str) -> list[BreakdownRow]:
    from unidesk.accounts.models import Group
    from unidesk.channels.models import ChannelKind

    ids: list[Any] = [row.key for row in rows if row.key is not None]
    names: dict[Any, str]
    if by == "group":
        names = dict(Group.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif by == "agent":
        names = {agent.pk: agent.display_name for agent in Agent.objects.filter(pk__in=ids)}
    else:
        names = {kind: str(label) for kind, label in ChannelKind.choices}
    nobody = {"group": _("No group"), "agent": _("Unassigned"), "channel": _("No channel")}[by]
    labelled = [
        replace(row, label=names.get(row.key, str(row.key)) if row.key else nobody) for row in rows
    ]
    return sorted(labelled, key=lambda row: (-row.created - row.solved, row.label))


# --- one row per ticket ------------------------------------------------------------------------


def export_rows(viewer: Agent, filters: ReportFilters) -> Iterator[dict[str, Any]]:
    """One dict per ticket created in the period, for the CSV and XLSX exports, read from
    the database in chunks. Access is checked at the call, before anything streams."""
    latest = Survey.objects.filter(
        ticket_id=OuterRef("ticket_id"), rated_at__isnull=False
    ).order_by("-solved_at", "-id")
    qs = (
        metrics_visible_to(viewer, filters)
        .filter(_in_period("created_at", filters))
        .annotate(
            csat_rating=Subquery(latest.values("rating")[:1]),
            csat_scale=Subquery(latest.values("scale")[:1]),
            csat_score=Subquery(latest.values("score")[:1]),
            csat_comment=Subquery(latest.values("comment")[:1]),
        )
        .values(
            "ticket__number",
            "ticket__subject",
            "ticket__requester__name",
            "group__name",
            "agent__name",
            "agent__email",
            "channel",
            "priority",
            "status",
            "created_at",
            "first_response_at",
            "solved_at",
            "replies_to_solve",
            "agent_replies",
            "reopen_count",
            "first_response_seconds",
            "first_response_business_seconds",
            "resolution_seconds",
            "resolution_business_seconds",
            "csat_rating",
            "csat_scale",
            "csat_score",
            "csat_comment",
        )
        .order_by("created_at", "ticket_id")
    )
    rows: Iterator[dict[str, Any]] = qs.iterator(chunk_size=2000)  # type: ignore[assignment]
    return rows
