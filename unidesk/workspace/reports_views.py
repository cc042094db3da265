"""The reports page (charts, tables, exports) and the supervisors' list of bad ratings.

Who sees what is decided by ``reports.selectors`` (agents: their groups and themselves;
trainees: nothing) and ``csat.selectors`` (bad ratings: supervisors and administrators).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from unidesk.accounts.models import Agent
from unidesk.accounts.selectors import agent_group_ids, agents_active, groups_visible_to
from unidesk.channels.models import ChannelKind
from unidesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from unidesk.core.pagination import Page
from unidesk.csat.selectors import bad_ratings_for_review, survey_get_for_review
from unidesk.csat.services import survey_mark_reviewed
from unidesk.reports.exports import csv_lines, lines_async, xlsx_bytes
from unidesk.reports.filters import parse_report_filters
from unidesk.reports.selectors import (
    ReportFilters,
    export_rows,
    may_see_reports,
    report_breakdown,
    report_series,
    report_summary,
)
from unidesk.tickets.models import Priority, Tag
from unidesk.workspace.charts import Serie, bar_chart, line_chart
from unidesk.workspace.templatetags.report_tags import duration

FILTER_NAMES = ("since", "until", "tz", "group", "agent", "channel", "tag", "priority")
REVIEW_PAGE = 50


def _agent(request: HttpRequest) -> Agent:
    user: Agent = request.user  # type: ignore[assignment]
    return user


def _interval(params: Any, filters: ReportFilters) -> str:
    chosen = params.get("interval", "")
    if chosen in ("day", "week", "month"):
        return chosen
    days = (filters.until - filters.since).days
    return "day" if days <= 62 else ("week" if days <= 366 else "month")


def _label(start: datetime, interval: str) -> str:
    return start.strftime("%m.%Y") if interval == "month" else start.strftime("%d.%m")


def _charts(agent: Agent, filters: ReportFilters, interval: str) -> dict[str, Any]:
    wanted = (
        "tickets_created",
        "tickets_solved",
        "first_response_seconds",
        "first_response_business_seconds",
        "csat_score",
    )
    found = report_series(agent, filters, metrics=wanted, interval=interval)
    created, solved, first, first_business, csat = (found[m].points for m in wanted)
    labels = [_label(point.start, interval) for point in created]
    hours = [
        [None if p.value is None else p.value / 3600 for p in serie]
        for serie in (first, first_business)
    ]
    return {
        "volume_chart": bar_chart(
            labels,
            [
                Serie(_("Created"), [p.value for p in created], "s1"),
                Serie(_("Solved"), [p.value for p in solved], "s2"),
            ],
            title=_("Tickets created and solved"),
        ),
        "first_response_chart": line_chart(
            labels,
            [
                Serie(_("Calendar time"), hours[0], "s1"),
                Serie(_("Business hours"), hours[1], "s2"),
            ],
            title=_("First response time, median"),
            fmt=lambda h: duration(h * 3600),
        ),
        "csat_chart": line_chart(
            labels,
            [Serie(_("Share of great"), [p.value for p in csat], "s3")],
            title=_("CSAT: share of great ratings"),
            fmt=lambda v: f"{v:g} %",
            top=100,
        ),
    }


def _choices(agent: Agent) -> dict[str, Any]:
    groups = list(groups_visible_to(agent))
    if not agent.sees_all_tickets:
        own = set(agent_group_ids(agent))
        groups = [group for group in groups if group.pk in own]
    return {
        "groups": groups,
        "agents": list(agents_active()) if agent.sees_all_tickets else [agent],
        "channels": ChannelKind.choices,
        "priorities": [(priority.key, priority.label) for priority in Priority],
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:200]),
    }


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    if not may_see_reports(agent):
        return render(request, "workspace/reports_refused.html", status=403)
    context: dict[str, Any] = {"params": request.GET, **_choices(agent)}
    try:
        filters = parse_report_filters(request.GET, agent)
        interval = _interval(request.GET, filters)
        context.update(
            filters=filters,
            interval=interval,
            summary=report_summary(agent, filters),
            # A table by the slice the report is narrowed to would have one row.
            tables=_tables(filters),
            export_query=urlencode({k: request.GET[k] for k in FILTER_NAMES if request.GET.get(k)}),
            **_charts(agent, filters, interval),
        )
    except (ValidationFailed, PermissionDenied) as exc:
        context["error"] = exc.message
        return render(request, "workspace/reports.html", context, status=exc.status)
    return render(request, "workspace/reports.html", context)


TABLES = {
    "group": (_lazy("Group"), _lazy("By group")),
    "agent": (_lazy("Agent"), _lazy("By agent (assignee; ratings: who solved)")),
    "channel": (_lazy("Channel"), _lazy("By channel")),
}


def _tables(filters: ReportFilters) -> list[str]:
    """The breakdowns worth showing: a table by the slice the report is narrowed to would
    have one row."""
    narrowed = {"group": filters.group_id, "agent": filters.agent_id, "channel": filters.channel}
    return [by for by in TABLES if not narrowed[by]]


@login_required
@require_GET
def reports_table(request: HttpRequest, by: str) -> HttpResponse:
    """One breakdown table. The reports page loads its tables this way once it is shown
    (each is a few grouped queries over the period), so the charts and the summary do not
    wait for them; without JavaScript the same URL is a page of its own."""
    agent = _agent(request)
    if by not in TABLES or not may_see_reports(agent):
        raise Http404("No such report.")
    try:
        filters = parse_report_filters(request.GET, agent)
        rows = report_breakdown(agent, filters, by=by)
    except (ValidationFailed, PermissionDenied) as exc:
        return HttpResponse(
            exc.message, status=exc.status, content_type="text/plain; charset=utf-8"
        )
    heading, caption = TABLES[by]
    context = {"rows": rows, "first_column": heading, "caption": caption}
    template = (
        "workspace/_report_table.html"
        if request.headers.get("HX-Request")
        else ("workspace/report_table_page.html")
    )
    return render(request, template, context)


@login_required
@require_GET
def reports_export(request: HttpRequest, fmt: str) -> HttpResponse:
    agent = _agent(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404("Exports are CSV or XLSX.")
    try:
        filters = parse_report_filters(request.GET, agent)
        rows = export_rows(agent, filters)
    except (ValidationFailed, PermissionDenied) as exc:
        return HttpResponse(
            exc.message, status=exc.status, content_type="text/plain; charset=utf-8"
        )
    zone = filters.time_zone
    since, until = filters.since.astimezone(zone), filters.until.astimezone(zone)
    name = f"tickets-{since:%Y-%m-%d}-{until:%Y-%m-%d}"
    response: HttpResponse
    if fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes(rows, zone, title=_("Tickets")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(
            lines_async(csv_lines(rows, zone)), content_type="text/csv; charset=utf-8"
        )  # type: ignore[assignment]
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def ratings_review(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    reviewed = request.GET.get("show") == "reviewed"
    try:
        surveys = list(bad_ratings_for_review(agent, reviewed=reviewed)[:REVIEW_PAGE])
    except PermissionDenied:
        raise Http404("Not available.") from None
    return render(
        request,
        "workspace/ratings_review.html",
        {"page": Page(items=surveys, next=None), "reviewed": reviewed},
    )


@login_required
@require_POST
def rating_mark_reviewed(request: HttpRequest, survey_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        survey = survey_get_for_review(agent, survey_id)
        survey_mark_reviewed(survey=survey, reviewer=agent)
    except (NotFound, PermissionDenied):
        raise Http404("Not available.") from None
    messages.success(request, _("Marked as reviewed."))
    return redirect("workspace:ratings-review")
