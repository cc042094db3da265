"""The reports API: shapes, known medians and percentiles, time zones, filters, exports and
who may read what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests import factories
from tests.reports.conftest import msk
from unidesk.core.actor import Actor
from unidesk.tickets.models import Status
from unidesk.tickets.services import ticket_update

pytestmark = [
    pytest.mark.django_db,
    # The sync test client reads the CSV that a server streams asynchronously.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume:Warning"),
]

FIRST_RESPONSES = (60, 120, 300, 600, 3600)
PERIOD = {"since": "2024-06-01", "until": "2024-06-30", "tz": "Europe/Moscow"}


@pytest.fixture
def billing_week(billing, billing_agent, timeline):
    """Five Billing tickets on 17–21 June 2024, answered after known times and solved an hour
    after they came in; the third one was reopened once."""
    line = timeline(billing)
    tickets = []
    for day, seconds in enumerate(FIRST_RESPONSES):
        start = msk(2024, 6, 17 + day, 12, 0)
        line.customer_writes(start, who=f"customer-{day}")
        line.agent_replies(start + timedelta(seconds=seconds), billing_agent)
        line.set(start + timedelta(hours=1, minutes=30), billing_agent, status=Status.SOLVED)
        if day == 2:
            line.customer_writes(start + timedelta(hours=2), who=f"customer-{day}")
            line.agent_replies(start + timedelta(hours=3), billing_agent, status=Status.SOLVED)
        tickets.append(line.ticket)
    return tickets


@pytest.fixture
def support_open(support, support_agent, timeline):
    """One Support ticket, still waiting."""
    line = timeline(support)
    line.customer_writes(msk(2024, 6, 18, 10, 0), who="waiting")
    return line.ticket


def test_summary_has_the_contract_shape_and_known_answers(
    billing_week, support_open, supervisor, api_client
) -> None:
    response = api_client(supervisor).get("/api/v1/reports/summary", PERIOD)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tickets_created"] == 6
    assert body["tickets_solved"] == 5
    assert body["backlog"] == 1
    assert body["reopened"] == 1
    assert body["reopen_rate_percent"] == 20.0
    assert body["first_response_seconds"] == {
        "count": 5,
        "median": 300.0,
        "p90": 2400.0,  # 600 + 0.6 × (3600 − 600), as percentile_cont interpolates
        "mean": 936.0,
    }
    # Billing works around the clock: business time equals calendar time.
    assert body["first_response_business_seconds"]["median"] == 300.0
    # Four solved after 1 h 30 min, the reopened one after 3 h.
    assert body["resolution_seconds"]["median"] == 5400.0
    assert body["resolution_seconds"]["mean"] == pytest.approx((4 * 5400 + 10800) / 5, abs=0.1)
    assert body["replies_to_solve"]["median"] == 1.0
    assert body["replies_to_solve"]["mean"] == 1.2
    assert body["csat"] == {
        "responses": 0,
        "score_percent": None,
        "distribution": {"bad": 0, "okay": 0, "great": 0},
        "comments": 0,
    }
    assert body["time_zone"] == "Europe/Moscow"


def test_summary_per_group_and_channel(billing_week, support_open, supervisor, api_client, support):
    client = api_client(supervisor)

    support_only = client.get("/api/v1/reports/summary", {**PERIOD, "group": support.pk}).json()
    assert (support_only["tickets_created"], support_only["backlog"]) == (1, 1)
    assert support_only["first_response_seconds"]["count"] == 0
    assert support_only["first_response_seconds"]["median"] is None

    by_channel = client.get("/api/v1/reports/summary", {**PERIOD, "channel": "telegram"}).json()
    assert by_channel["tickets_created"] == 0


def test_summary_by_tag_and_priority(
    billing_week, supervisor, api_client, billing_agent, django_capture_on_commit_callbacks
):
    actor = Actor.for_agent(billing_agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=billing_week[0], actor=actor, tags=["refund"])
        ticket_update(ticket=billing_week[1], actor=actor, priority=4)
    client = api_client(supervisor)

    tagged = client.get("/api/v1/reports/summary", {**PERIOD, "tag": "Refund"}).json()
    assert tagged["tickets_created"] == 1
    assert tagged["first_response_seconds"]["median"] == 60.0
    urgent = client.get("/api/v1/reports/summary", {**PERIOD, "priority": "urgent"}).json()
    assert urgent["tickets_created"] == 1
    assert urgent["first_response_seconds"]["median"] == 120.0


def test_the_period_is_read_in_the_report_time_zone(
    billing, billing_agent, timeline, supervisor, api_client
):
    line = timeline(billing)
    # 01:30 in Moscow on 1 July is still 30 June in UTC.
    line.customer_writes(msk(2024, 7, 1, 1, 30))
    client = api_client(supervisor)

    june_msk = client.get("/api/v1/reports/summary", {**PERIOD}).json()
    june_utc = client.get("/api/v1/reports/summary", {**PERIOD, "tz": "UTC"}).json()

    assert june_msk["tickets_created"] == 0
    assert june_utc["tickets_created"] == 1


def test_timeseries_per_day_in_the_time_zone(billing_week, supervisor, api_client) -> None:
    client = api_client(supervisor)
    response = client.get(
        "/api/v1/reports/timeseries",
        {"metric": "first_response_seconds", "interval": "day", "since": "2024-06-16",
         "until": "2024-06-22", "tz": "Europe/Moscow"},
    )  # fmt: skip

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metric"] == "first_response_seconds"
    points = body["points"]
    assert [p["start"] for p in points][:2] == [
        "2024-06-16T00:00:00+03:00",
        "2024-06-17T00:00:00+03:00",
    ]
    assert len(points) == 7
    assert [p["value"] for p in points] == [None, 60.0, 120.0, 300.0, 600.0, 3600.0, None]
    assert points[1]["count"] == 1
    assert points[1]["p90"] == 60.0


def test_timeseries_counts_per_week_and_backlog(
    billing_week, support_open, supervisor, api_client
) -> None:
    client = api_client(supervisor)
    week = client.get(
        "/api/v1/reports/timeseries",
        {"metric": "tickets_created", "interval": "week", **PERIOD},
    ).json()
    by_start = {p["start"][:10]: p["value"] for p in week["points"]}
    # Weeks start on Monday; 1 June 2024 is a Saturday.
    assert list(by_start)[:2] == ["2024-05-27", "2024-06-03"]
    assert by_start["2024-06-17"] == 6

    backlog = client.get(
        "/api/v1/reports/timeseries",
        {"metric": "backlog", "interval": "day", "since": "2024-06-16", "until": "2024-06-23",
         "tz": "Europe/Moscow"},
    ).json()  # fmt: skip
    assert [p["value"] for p in backlog["points"]] == [0, 0, 1, 1, 1, 1, 1, 1]

    month = client.get(
        "/api/v1/reports/timeseries", {"metric": "reopen_rate", "interval": "month", **PERIOD}
    ).json()
    assert month["points"] == [
        {"start": "2024-06-01T00:00:00+03:00", "value": 20.0, "count": 5, "median": None,
         "p90": None, "mean": None},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2024-06-10", "until": "2024-06-01"}, "since"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"group": "abc"}, "group"),
        ({"channel": "pigeon"}, "channel"),
        ({"priority": "whenever"}, "priority"),
    ],
)
def test_bad_filters_are_refused_with_the_field_named(params, field, supervisor, api_client):
    response = api_client(supervisor).get("/api/v1/reports/summary", params)

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_bad_metric_and_too_many_points_are_refused(supervisor, api_client) -> None:
    client = api_client(supervisor)
    unknown = client.get("/api/v1/reports/timeseries", {"metric": "happiness"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == {"metric": "invalid"}
    long = client.get(
        "/api/v1/reports/timeseries",
        {"metric": "tickets_created", "interval": "day", "since": "2019-01-01",
         "until": "2024-01-01"},
    )  # fmt: skip
    assert long.status_code == 422
    assert long.json()["error"]["fields"] == {"interval": "too_many_points"}


# --- who may read what -------------------------------------------------------------------------


@pytest.mark.usefixtures("billing_week", "support_open")
def test_an_agent_reads_only_their_groups(support_agent, api_client, billing, support) -> None:
    client = api_client(support_agent)

    own = client.get("/api/v1/reports/summary", PERIOD).json()
    assert (own["tickets_created"], own["tickets_solved"]) == (1, 0)

    other_group = client.get("/api/v1/reports/summary", {**PERIOD, "group": billing.pk})
    assert other_group.status_code == 403
    assert other_group.json()["error"]["code"] == "forbidden"
    own_group = client.get("/api/v1/reports/summary", {**PERIOD, "group": support.pk})
    assert own_group.status_code == 200


def test_an_agent_may_read_their_own_numbers_but_not_a_colleagues(
    billing_week, billing_agent, api_client
) -> None:
    colleague = factories.agent(role="agent", groups=["Billing"])
    client = api_client(billing_agent)

    mine = client.get("/api/v1/reports/summary", {**PERIOD, "agent": "me"})
    assert mine.status_code == 200
    # Never assigned: the tickets count for the agent who answered them.
    assert mine.json()["tickets_solved"] == 5
    assert (
        client.get("/api/v1/reports/summary", {**PERIOD, "agent": colleague.pk}).status_code == 403
    )


def test_trainees_and_strangers_get_no_reports(billing_week, api_client, client) -> None:
    trainee = factories.agent(role="trainee", groups=["Billing"])
    for path in ("summary", "timeseries", "tickets.csv", "tickets.xlsx", "breakdown"):
        assert api_client(trainee).get(f"/api/v1/reports/{path}").status_code == 403
        assert client.get(f"/api/v1/reports/{path}").status_code == 401


def test_breakdown_by_group(billing_week, support_open, supervisor, api_client, billing) -> None:
    rows = api_client(supervisor).get("/api/v1/reports/breakdown", {**PERIOD, "by": "group"}).json()

    by_label = {row["label"]: row for row in rows}
    assert by_label["Billing"]["tickets_created"] == 5
    assert by_label["Billing"]["first_response_seconds"]["median"] == 300.0
    assert by_label["Support"]["tickets_created"] == 1
    assert by_label["Support"]["tickets_solved"] == 0


# --- exports -----------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_ticket(billing_week, support_open, supervisor, api_client):
    response = api_client(supervisor).get("/api/v1/reports/tickets.csv", PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6
    first = rows[0]
    assert first["number"] == str(billing_week[0].number)
    assert first["group"] == "Billing"
    assert first["status"] == "solved"
    assert first["replies"] == "1"
    assert first["created"] == "2024-06-17T12:00:00+03:00"
    assert first["first_response"] == "2024-06-17T12:01:00+03:00"
    assert first["first_response_seconds"] == "60"
    waiting = next(row for row in rows if row["number"] == str(support_open.number))
    assert (waiting["solved"], waiting["status"], waiting["group"]) == ("", "new", "Support")


def test_an_agents_export_holds_only_their_groups(
    billing_week, support_open, support_agent, api_client
) -> None:
    response = api_client(support_agent).get("/api/v1/reports/tickets.csv", PERIOD)
    text = b"".join(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["number"] for row in rows] == [str(support_open.number)]
