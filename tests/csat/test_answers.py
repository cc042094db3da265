"""Answers: the survey page (signed, single-customer, expiring, CSRF-protected), buttons in
the conversation, rating twice, bad ratings, and the rating on the ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests import factories
from tests.reports.conftest import Timeline, msk
from unidesk.channels.ingest import ingest
from unidesk.csat import links
from unidesk.csat.events import BadRatingReceived, SurveyRated
from unidesk.csat.models import RatingSource, Survey, SurveyState
from unidesk.tickets.models import Message, Status, Ticket

pytestmark = pytest.mark.django_db

SOLVED_AT = msk(2024, 6, 10, 10, 5)


@pytest.fixture
def asked(line, support, support_agent) -> tuple[Timeline, Survey]:
    chat = line("telegram", support)
    chat.customer_writes(msk(2024, 6, 10, 10, 0), text="Где мой заказ?")
    chat.agent_replies(SOLVED_AT, support_agent, status=Status.SOLVED)
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SENT
    return chat, survey


@pytest.fixture
def page(asked) -> str:
    _chat, survey = asked
    return links.link_url(survey.pk, survey.nonce).split("testserver", 1)[-1].split(":8000", 1)[-1]


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def soon(hours: float = 1) -> time_machine.travel:
    return time_machine.travel(SOLVED_AT + timedelta(hours=hours), tick=False)


# --- the page ----------------------------------------------------------------------------------


def test_the_page_asks_in_the_customers_language_and_records_nothing_on_open(asked) -> None:
    _chat, survey = asked
    url = path_of(links.link_url(survey.pk, survey.nonce, rating=3))
    with soon():
        response = Client().get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "а не о товаре в целом" in html  # the question is about the support
    assert 'value="3" checked' in html
    assert "csrfmiddlewaretoken" in html
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    survey.refresh_from_db()
    assert survey.rating is None  # opening a link (a mail scanner does) records nothing


def test_posting_records_and_rating_again_updates_the_same_survey(asked, published) -> None:
    _chat, survey = asked
    url = path_of(links.link_url(survey.pk, survey.nonce))
    client = Client()
    with soon():
        first = client.post(url, {"rating": "3", "comment": "  Быстро и вежливо  "})
    assert first.status_code == 302
    assert first["Location"].endswith("?thanks=1")
    with soon(2):
        again = client.post(url, {"rating": "2", "comment": "On second thought, it took long"})
        thanks = client.get(again["Location"])

    assert thanks.status_code == 200
    assert Survey.objects.count() == 1
    survey.refresh_from_db()
    assert (survey.rating, survey.score, survey.rating_source) == (2, "okay", RatingSource.LINK)
    assert survey.comment == "On second thought, it took long"
    assert survey.rated_at == SOLVED_AT + timedelta(hours=2)
    assert [e.rating for e in published if isinstance(e, SurveyRated)] == [3, 2]


@pytest.mark.parametrize("rating", ["0", "4", "great", ""])
def test_a_rating_off_the_scale_is_refused_and_nothing_changes(asked, rating) -> None:
    _chat, survey = asked
    with soon():
        response = Client().post(
            path_of(links.link_url(survey.pk, survey.nonce)), {"rating": rating}
        )

    assert response.status_code == 422
    survey.refresh_from_db()
    assert survey.rating is None


def test_a_very_long_comment_is_refused(asked) -> None:
    _chat, survey = asked
    with soon():
        response = Client().post(
            path_of(links.link_url(survey.pk, survey.nonce)), {"rating": "3", "comment": "x" * 2001}
        )
    assert response.status_code == 422
    assert Survey.objects.get().rating is None


def test_tampered_links_are_refused(asked, line, support, support_agent) -> None:
    _chat, survey = asked
    other = line("telegram", support)
    other.customer_writes(msk(2024, 6, 10, 10, 0), who="bob")
    other.agent_replies(SOLVED_AT, support_agent, status=Status.SOLVED)
    bobs = Survey.objects.exclude(pk=survey.pk).get()
    token = links.link_token(survey.pk, survey.nonce)
    signature = token.split(".", 1)[1]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = [
        f"{survey.pk}.{flipped}",
        f"{bobs.pk}.{signature}",  # Ann's signature on Bob's survey
        f"{survey.pk}.{signature[:-2]}",
        f"{survey.pk}",
        "../../admin",
        f"{survey.pk}.{signature}x",
    ]
    client = Client()
    with soon():
        for token in forged:
            assert client.get(f"/s/{token}").status_code == 404, token
            assert client.post(f"/s/{token}", {"rating": "1"}).status_code == 404, token
    assert not Survey.objects.filter(rating__isnull=False).exists()


def test_the_page_shows_nothing_about_other_customers(asked, line, support, support_agent) -> None:
    _chat, survey = asked
    other = line("telegram", support)
    other.customer_writes(msk(2024, 6, 10, 10, 0), who="bob", text="Мой секретный заказ 777")
    with soon():
        html = Client().get(path_of(links.link_url(survey.pk, survey.nonce))).content.decode()
    assert "777" not in html
    assert "bob" not in html
    assert support_agent.email not in html


def test_expired_links_are_refused(asked) -> None:
    _chat, survey = asked
    url = path_of(links.link_url(survey.pk, survey.nonce))
    with time_machine.travel(SOLVED_AT + timedelta(days=14, seconds=1), tick=False):
        client = Client()
        assert client.get(url).status_code == 410
        assert client.post(url, {"rating": "3"}).status_code == 410
    assert Survey.objects.get().rating is None


def test_posting_without_the_csrf_token_is_refused(asked) -> None:
    _chat, survey = asked
    with soon():
        response = Client(enforce_csrf_checks=True).post(
            path_of(links.link_url(survey.pk, survey.nonce)), {"rating": "3"}
        )
    assert response.status_code == 403
    assert Survey.objects.get().rating is None


def test_the_page_with_its_token_works_under_csrf_checks(asked) -> None:
    _chat, survey = asked
    url = path_of(links.link_url(survey.pk, survey.nonce))
    client = Client(enforce_csrf_checks=True)
    with soon():
        client.get(url)
        token = client.cookies["csrftoken"].value
        response = client.post(url, {"rating": "3", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Survey.objects.get().rating == 3


# --- buttons in the conversation ---------------------------------------------------------------


def press(chat: Timeline, data: str, *, who: str = "ann", at_hours: float = 1) -> Any:
    with chat.at(SOLVED_AT + timedelta(hours=at_hours)):
        return ingest(
            chat.account,
            factories.inbound(
                identity=("telegram", who),
                text="😃 Отлично",
                thread_key=f"thread-{who}-{chat.account.pk}",
                metadata={"button": data},
            ),
        )


def test_a_button_press_is_a_rating_not_a_new_question(asked, run_tasks, published) -> None:
    chat, survey = asked
    result = press(chat, links.button_data(survey.pk, survey.nonce, 3))
    with soon(), chat.committed(execute=True):
        run_tasks()

    assert result.ticket.pk == chat.ticket.pk
    chat.ticket.refresh_from_db()
    assert chat.ticket.status == Status.SOLVED
    assert chat.ticket.reopen_count == 0
    assert Ticket.objects.count() == 1
    survey.refresh_from_db()
    assert (survey.rating, survey.score, survey.rating_source) == (3, "great", "button")
    thanks = Message.objects.filter(ticket=chat.ticket, metadata__csat__thanks=True).get()
    assert "Спасибо" in thanks.text or "Thank you" in thanks.text
    assert links.link_url(survey.pk, survey.nonce) in thanks.text


def test_a_press_on_a_closed_conversation_stays_on_it(asked, run_tasks, support_agent) -> None:
    chat, survey = asked
    chat.set(SOLVED_AT + timedelta(minutes=30), support_agent, status=Status.CLOSED)
    result = press(chat, links.button_data(survey.pk, survey.nonce, 1))
    with soon():
        run_tasks()

    assert result.ticket.pk == chat.ticket.pk
    chat.ticket.refresh_from_db()
    assert chat.ticket.status == Status.CLOSED
    assert Survey.objects.get().rating == 1


def test_pressing_twice_updates_the_rating(asked, run_tasks) -> None:
    chat, survey = asked
    press(chat, links.button_data(survey.pk, survey.nonce, 1))
    press(chat, links.button_data(survey.pk, survey.nonce, 3), at_hours=2)
    with soon(3):
        run_tasks()

    assert Survey.objects.count() == 1
    assert Survey.objects.get().rating == 3


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: links.button_data(s.pk, "another-nonce", 3),
        lambda s: links.button_data(s.pk, s.nonce, 3)[:-1] + "Z",
        lambda s: links.button_data(s.pk, s.nonce, 1).replace(".1.", ".3."),
        lambda s: f"csat:{s.pk}.3",
        lambda s: "csat:5",
    ],
)
def test_forged_button_data_is_refused(asked, run_tasks, forge: Callable[[Survey], str]) -> None:
    chat, survey = asked
    press(chat, forge(survey))
    with soon():
        run_tasks()

    assert Survey.objects.get().rating is None
    chat.ticket.refresh_from_db()
    assert chat.ticket.status == Status.SOLVED


def test_another_customer_cannot_press_someone_elses_button(
    asked, run_tasks, line, support, support_agent
) -> None:
    _chat, survey = asked
    # Bob somehow sends Ann's button data from his own chat.
    bob = line("telegram", support)
    bob.customer_writes(msk(2024, 6, 10, 10, 0), who="bob")
    press(bob, links.button_data(survey.pk, survey.nonce, 1), who="bob")
    with soon():
        run_tasks()

    assert Survey.objects.get(pk=survey.pk).rating is None


# --- bad ratings -------------------------------------------------------------------------------


def test_a_bad_rating_is_published_once(asked, published) -> None:
    _chat, survey = asked
    url = path_of(links.link_url(survey.pk, survey.nonce))
    client = Client()
    with soon():
        client.post(url, {"rating": "1", "comment": "Nobody helped"})
        client.post(url, {"rating": "1", "comment": "Nobody helped at all"})
        client.post(url, {"rating": "3"})

    bad = [e for e in published if isinstance(e, BadRatingReceived)]
    assert len(bad) == 1
    assert (bad[0].survey_id, bad[0].rating, bad[0].agent_id) == (
        survey.pk,
        1,
        survey.agent_id,
    )
    # The comment stays when only the rating changes.
    assert Survey.objects.get().comment == "Nobody helped at all"


# --- the rating on the ticket ------------------------------------------------------------------


def test_the_ticket_api_shows_the_rating(asked, api_client, support_agent) -> None:
    chat, survey = asked
    client = api_client(support_agent)
    before = client.get(f"/api/v1/tickets/{chat.ticket.pk}").json()
    assert before["csat"] is None

    with soon():
        Client().post(
            path_of(links.link_url(survey.pk, survey.nonce)), {"rating": "2", "comment": "ok"}
        )
    body = client.get(f"/api/v1/tickets/{chat.ticket.pk}").json()
    assert body["csat"]["rating"] == 2
    assert body["csat"]["comment"] == "ok"
    assert body["csat"]["rated_at"].startswith("2024-06-10T")
    assert (body["csat"]["scale"], body["csat"]["score"]) == (3, "okay")
    listed = client.get("/api/v1/tickets").json()["items"][0]
    assert listed["csat"]["rating"] == 2
