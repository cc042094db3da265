"""An agent in a real browser: log in, open a ticket from the inbox, reply."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.tickets.models import Direction, Message

# Playwright's sync API runs an event loop in this thread; Django refuses database access
# from a thread with a running loop unless told it is safe, which it is in this test.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def test_an_agent_logs_in_opens_a_ticket_from_the_inbox_and_replies(
    live_server: Any, browser_page: Any, transactional_db: None
) -> None:
    agent: Agent = factories.agent(
        role="agent", groups=["General"], email="olga.agent@example.com", name="Ольга"
    )
    account, _secret = factories.channel("api", group_name="General")
    ticket = factories.conversation(
        account, text="Мой заказ не пришёл", subject="Где мой заказ?", name="Пётр"
    ).ticket
    page = browser_page

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.click("a.inbox-view >> text=Unassigned")
    page.click("td.cell-subject a >> text=Где мой заказ?")
    page.wait_for_url(f"{live_server.url}/t/{ticket.number}/")
    expect(page.locator("#timeline")).to_contain_text("Мой заказ не пришёл")

    page.fill("#composer-text", "Пётр, заказ уже в пути, трек-номер RA123.")
    page.click("#composer button.primary")

    last = page.locator("#timeline > li.message-out").last
    expect(last).to_contain_text("Пётр, заказ уже в пути, трек-номер RA123.")
    expect(last).to_contain_text("Queued")
    expect(page.locator("#notice")).to_contain_text("Reply queued for sending.")
    expect(page.locator("#composer-text")).to_have_value("")
    expect(page.locator("#ticket-header")).to_contain_text("Open")
    reply = Message.objects.get(ticket=ticket, direction=Direction.OUT)
    assert reply.author_agent == agent
