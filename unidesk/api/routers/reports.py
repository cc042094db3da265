"""Reports: the summary, series for charts, and one row per ticket as CSV or XLSX."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router, Schema

from unidesk.api.auth import agent_of
from unidesk.api.schemas import ErrorOut
from unidesk.reports.exports import csv_lines, lines_async, xlsx_bytes
from unidesk.reports.filters import parse_report_filters
from unidesk.reports.selectors import (
    ReportFilters,
    export_rows,
    report_breakdown,
    report_summary,
    report_timeseries,
)

router = Router(tags=["reports"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}

FILTERS_DOC = (
    "Filters: `since`, `until` (ISO 8601 date or date-time; a date is the whole day, "
    "`until` is exclusive otherwise; default the last 30 days), `tz` (IANA zone, default "
    "the agent's or the desk's), `group`, `agent` (an id or `me`), `channel` (kind), "
    "`tag`, `priority` (low, normal, high, urgent)."
)


class StatsOut(Schema):
    count: int
    median: float | None
    p90: float | None
    mean: float | None


class CsatOut(Schema):
    responses: int
    score_percent: float | None
    distribution: dict[str, int]
    comments: int


class FiltersOut(Schema):
    group: int | None
    agent: int | None
    channel: str | None
    tag: str | None
    priority: int | None


class SummaryOut(Schema):
    since: datetime
    until: datetime
    time_zone: str
    filters: FiltersOut
    tickets_created: int
    tickets_solved: int
    backlog: int
    reopened: int
    reopen_rate_percent: float | None
    first_response_seconds: StatsOut
    first_response_business_seconds: StatsOut
    replies_to_solve: StatsOut
    resolution_seconds: StatsOut
    resolution_business_seconds: StatsOut
    csat: CsatOut


class PointOut(Schema):
    start: datetime
    value: float | None
    count: int
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


class SeriesOut(Schema):
    metric: str
    interval: str
    since: datetime
    until: datetime
    time_zone: str
    filters: FiltersOut
    points: list[PointOut]


class BreakdownRowOut(Schema):
    key: int | str | None
    label: str
    tickets_created: int
    tickets_solved: int
    first_response_seconds: StatsOut
    first_response_business_seconds: StatsOut
    resolution_seconds: StatsOut
    resolution_business_seconds: StatsOut
    replies_to_solve: StatsOut
    csat_responses: int
    csat_score_percent: float | None


def _filters(request: HttpRequest) -> ReportFilters:
    return parse_report_filters(request.GET, agent_of(request))


@router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="Summary of a period")
def summary(request: HttpRequest) -> dict[str, Any]:
    """Volume, first response, replies until solved, resolution (calendar and business
    time: count, median, p90, mean) and CSAT for a period."""
    return report_summary(agent_of(request), _filters(request)).as_dict()


summary.__doc__ = (summary.__doc__ or "") + FILTERS_DOC


@router.get("/timeseries", response={200: SeriesOut, **ERRORS}, summary="A metric over time")
def timeseries(
    request: HttpRequest, metric: str = "tickets_created", interval: str = "day"
) -> dict[str, Any]:
    """One point per day, week (from Monday) or month in the report's time zone. `metric`:
    tickets_created, tickets_solved, backlog, reopen_rate, first_response_seconds,
    first_response_business_seconds, replies_to_solve, resolution_seconds,
    resolution_business_seconds, csat_score, csat_responses. For durations `value` is the
    median, with p90 and mean beside it."""
    series = report_timeseries(
        agent_of(request), _filters(request), metric=metric, interval=interval
    )
    return series.as_dict()


timeseries.__doc__ = (timeseries.__doc__ or "") + FILTERS_DOC


@router.get("/breakdown", response={200: list[BreakdownRowOut], **ERRORS}, summary="Side by side")
def breakdown(request: HttpRequest, by: str = "group") -> list[dict[str, Any]]:
    """The main numbers per `group`, `agent` or `channel`."""
    rows = report_breakdown(agent_of(request), _filters(request), by=by)
    return [
        {
            "key": row.key,
            "label": row.label,
            "tickets_created": row.created,
            "tickets_solved": row.solved,
            "first_response_seconds": row.first_response.as_dict(),
            "first_response_business_seconds": row.first_response_business.as_dict(),
            "resolution_seconds": row.resolution.as_dict(),
            "resolution_business_seconds": row.resolution_business.as_dict(),
            "replies_to_solve": row.replies.as_dict(),
            "csat_responses": row.csat_responses,
            "csat_score_percent": row.csat_score,
        }
        for row in rows
    ]


def _download_name(filters: ReportFilters, extension: str) -> str:
    zone = filters.time_zone
    since = filters.since.astimezone(zone).date().isoformat()
    until = filters.until.astimezone(zone).date().isoformat()
    return f"tickets-{since}-{until}.{extension}"


@router.get(
    "/tickets.csv",
    response={200: None, **ERRORS},
    summary="Tickets as CSV",
    openapi_extra={"responses": {"200": {"content": {"text/csv": {}}}}},
)
def tickets_csv(request: HttpRequest) -> StreamingHttpResponse:
    """One row per ticket created in the period (number, subject, customer, group, agent,
    channel, priority, status, created, first response, solved, replies, CSAT…). Text that
    a spreadsheet would run as a formula is prefixed with an apostrophe."""
    filters = _filters(request)
    rows = export_rows(agent_of(request), filters)
    response = StreamingHttpResponse(
        lines_async(csv_lines(rows, filters.time_zone)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_download_name(filters, "csv")}"'
    return response


@router.get(
    "/tickets.xlsx",
    response={200: None, **ERRORS},
    summary="Tickets as XLSX",
    openapi_extra={
        "responses": {
            "200": {
                "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}
            }
        }
    },
)
def tickets_xlsx(request: HttpRequest) -> HttpResponse:
    """The same rows as `tickets.csv`, as an Excel workbook."""
    filters = _filters(request)
    data = xlsx_bytes(export_rows(agent_of(request), filters), filters.time_zone, title="tickets")
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_download_name(filters, "xlsx")}"'
    return response
