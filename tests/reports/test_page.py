"""The reports page, its exports (safe against formula injection), the ratings on the
ticket page, and the supervisors' review list — with the wrong users tried."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from tests import factories
from tests.csat.conftest import connected
from tests.reports.conftest import MSK, Timeline, msk
from unidesk.csat import links
from unidesk.csat.models import Survey
from unidesk.reports.exports import neutralise
from unidesk.tickets.models import Status

pytestmark = [
    pytest.mark.django_db,
    # The sync test client reads the CSV that a server streams asynchronously.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume:Warning"),
]

PERIOD = {"since": "2024-06-01", "until": "2024-06-30", "tz": "Europe/Moscow"}
HOSTILE = [
    '=HYPERLINK("https://evil.example","click")',
    "+7 999 000-11-22",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def desk(support, support_agent, billing, billing_agent, django_capture_on_commit_callbacks):
    """Two Support tickets (one rated bad with a comment) and one Billing ticket, with
    hostile subjects."""
    chat = Timeline(
        account=connected("telegram", support), committed=django_capture_on_commit_callbacks
    )
    for index, subject in enumerate(HOSTILE[:2]):
        chat.customer_writes(msk(2024, 6, 10, 10, index), text=subject, who=f"c{index}")
        chat.agent_replies(msk(2024, 6, 10, 11, index), support_agent, status=Status.SOLVED)
    survey = Survey.objects.order_by("pk").first()
    assert survey is not None
    with time_machine.travel(msk(2024, 6, 10, 12, 0), tick=False):
        Client().post(
            "/" + links.link_url(survey.pk, survey.nonce).split("/", 3)[3],
            {"rating": "1", "comment": "=cmd|' /C calc'!A0"},
        )
    other = Timeline(
        account=connected("email", billing), committed=django_capture_on_commit_callbacks
    )
    for index, subject in enumerate(HOSTILE[2:]):
        other.customer_writes(msk(2024, 6, 11, 10, index), text=subject, who=f"b{index}")
    return survey


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_a_supervisor_sees_the_whole_desk(desk, supervisor) -> None:
    response = logged_in(supervisor).get("/reports/", PERIOD)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 3
    assert "Support" in html
    assert "Billing" in html
    summary = response.context["summary"]
    assert (summary.tickets_created, summary.tickets_solved) == (6, 2)
    assert summary.csat.bad == 1
    assert "Download XLSX" in html


def test_an_agent_sees_their_group_only_and_is_refused_another(
    desk, support_agent, billing
) -> None:
    client = logged_in(support_agent)
    response = client.get("/reports/", PERIOD)
    assert response.status_code == 200
    assert response.context["summary"].tickets_created == 2
    assert [g.name for g in response.context["groups"]] == ["Support"]

    refused = client.get("/reports/", {**PERIOD, "group": billing.pk})
    assert refused.status_code == 403
    assert "own groups" in refused.content.decode()
    assert client.get("/reports/by/group/", {**PERIOD, "group": billing.pk}).status_code == 403
    own = client.get("/reports/by/group/", PERIOD).content.decode()
    assert "Support" in own
    assert "Billing" not in own
    export = client.get("/reports/tickets.csv", {**PERIOD, "group": billing.pk})
    assert export.status_code == 403


def test_trainees_and_visitors_get_no_reports(desk, client) -> None:
    trainee = factories.agent(role="trainee", groups=["Support"])
    assert logged_in(trainee).get("/reports/").status_code == 403
    assert logged_in(trainee).get("/reports/tickets.csv").status_code == 403
    assert logged_in(trainee).get("/reports/by/agent/").status_code == 404
    assert client.get("/reports/").status_code == 302  # to the login page
    assert client.get("/reports/tickets.xlsx").status_code == 302


def test_bad_filters_are_explained_not_crashed(supervisor) -> None:
    response = logged_in(supervisor).get("/reports/", {"since": "soon"})
    assert response.status_code == 422
    assert "since" in response.content.decode()


def test_the_page_costs_a_fixed_number_of_queries(
    desk, supervisor, django_assert_max_num_queries
) -> None:
    client = logged_in(supervisor)
    with django_assert_max_num_queries(25):
        client.get("/reports/", PERIOD)
    with django_assert_max_num_queries(10):
        client.get("/reports/by/agent/", PERIOD)


def test_a_report_narrowed_to_a_group_has_no_table_by_group(desk, supervisor, support) -> None:
    response = logged_in(supervisor).get("/reports/", {**PERIOD, "group": support.pk})
    assert response.context["tables"] == ["agent", "channel"]


# --- exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("Плохо доставили") == "Плохо доставили"
    assert neutralise(42) == 42


def test_the_csv_export_is_safe_in_a_spreadsheet(desk, supervisor) -> None:
    response = logged_in(supervisor).get("/reports/tickets.csv", PERIOD)

    assert response.status_code == 200
    text = b"".join(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6
    assert "'" + HOSTILE[0] in [row["subject"] for row in rows]
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    rated = next(row for row in rows if row["csat"])
    assert (rated["csat"], rated["csat_score"]) == ("1", "bad")
    assert rated["csat_comment"] == "'=cmd|' /C calc'!A0"


def test_the_xlsx_export_has_no_formulas(desk, supervisor) -> None:
    response = logged_in(supervisor).get("/reports/tickets.xlsx", PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("number", "subject", "customer")
    assert len(rows) == 7
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    numbers = [row[0] for row in rows[1:]]
    assert all(isinstance(n, int) for n in numbers)


def test_the_api_exports_are_safe_too(desk, supervisor, api_client) -> None:
    response = api_client(supervisor).get("/api/v1/reports/tickets.xlsx", PERIOD)
    book = load_workbook(io.BytesIO(response.content))
    values = [c.value for row in book.active.iter_rows(min_row=2) for c in row]
    assert "'" + HOSTILE[0] in values


# --- ratings on the ticket and the review list -------------------------------------------------


def test_the_ticket_page_shows_the_rating_and_comment(desk, support_agent) -> None:
    response = logged_in(support_agent).get(f"/t/{desk.ticket.number}/")
    html = response.content.decode()
    assert "Satisfaction" in html
    assert "=cmd|&#x27; /C calc&#x27;!A0" in html
    assert "(1/3)" in html


def test_supervisors_review_bad_ratings(desk, supervisor) -> None:
    client = logged_in(supervisor)
    waiting = client.get("/ratings/")
    assert waiting.status_code == 200
    assert f"#{desk.ticket.number}" in waiting.content.decode()

    response = client.post(f"/ratings/{desk.pk}/reviewed/")
    assert response.status_code == 302
    desk.refresh_from_db()
    assert desk.reviewed_by_id == supervisor.pk
    assert f"#{desk.ticket.number}" not in client.get("/ratings/").content.decode()
    assert f"#{desk.ticket.number}" in client.get("/ratings/?show=reviewed").content.decode()


def test_agents_cannot_review_ratings(desk, support_agent) -> None:
    client = logged_in(support_agent)
    assert client.get("/ratings/").status_code == 404
    assert client.post(f"/ratings/{desk.pk}/reviewed/").status_code == 404
    desk.refresh_from_db()
    assert desk.reviewed_at is None


def test_report_times_follow_the_time_zone(desk, supervisor) -> None:
    response = logged_in(supervisor).get("/reports/", {**PERIOD, "tz": "UTC"})
    assert response.context["filters"].time_zone.key == "UTC"
    assert response.context["filters"].since.utcoffset() == timedelta(0)
    assert MSK.key == "Europe/Moscow"
