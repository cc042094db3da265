"""A customer answers the survey in a real browser; a supervisor reads the reports page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.csat.conftest import connected
from tests.workspace.test_e2e_browser import browser_page  # noqa: F401 (fixture)
from unidesk.accounts.models import Group
from unidesk.channels.ingest import ingest
from unidesk.core.actor import Actor
from unidesk.csat import links
from unidesk.csat.models import Survey
from unidesk.tickets.services import ticket_update

pytestmark = pytest.mark.e2e


def test_a_customer_rates_on_the_survey_page(
    live_server: Any,
    browser_page: Any,  # noqa: F811 (the fixture imported above)
    transactional_db: None,
) -> None:
    group = Group.objects.create(name="Support")
    agent = factories.agent(role="supervisor", email="lead@example.com")
    account = connected("telegram", group)
    ticket = ingest(
        account,
        factories.inbound(identity=("telegram", "4242"), text="Где мой заказ?", thread_key="4242"),
    ).ticket
    ticket_update(ticket=ticket, actor=Actor.for_agent(agent), status="solved")
    survey = Survey.objects.get()
    path = "/" + links.link_url(survey.pk, survey.nonce, rating=3).split("/", 3)[3]
    page = browser_page

    page.goto(f"{live_server.url}{path}")
    expect(page.locator("h1")).to_contain_text("а не о товаре в целом")
    expect(page.locator("input[name=rating][value='3']")).to_be_checked()
    page.click("label.choice >> text=Нормально")
    page.fill("#comment", "Ответили быстро, но пришлось уточнять адрес.")
    page.click("button[type=submit]")

    expect(page.locator(".notice")).to_contain_text("Спасибо! Ваш ответ сохранён.")
    survey.refresh_from_db()
    assert (survey.rating, survey.score) == (2, "okay")
    assert survey.comment == "Ответили быстро, но пришлось уточнять адрес."

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=Reports")
    expect(page.locator("svg.chart")).to_have_count(3)
    # The tables by group, agent and channel arrive after the page.
    expect(page.locator("table.report-table")).to_have_count(3)
    expect(page.locator(".cards")).to_contain_text("0 %")
