"""One customer in a real browser: a merge suggestion in the sidebar, the preview, the
merge, and the duplicate closed from the sidebar with the customer told."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests import factories
from tests.support.http import fake_server
from tests.workspace.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS
from unidesk.core.worker import Worker
from unidesk.tickets.models import Status, Ticket

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone_page() -> Iterator[Any]:
    """A phone-sized browser window: the workspace must work there too."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def test_an_agent_merges_a_suggested_customer_and_closes_the_duplicate(
    live_server: Any, phone_page: Any, transactional_db: None
) -> None:
    agent = factories.agent(groups=["General"], email="olga@example.com", name="Ольга")
    with fake_server() as callback:
        site, _ = factories.channel(
            "api", group_name="General", settings={"callback_url": callback.url + "/r"}
        )
        known = factories.conversation(
            site, identity=("email", "ivan@example.com"), name="Иван Петров",
            thread_key="mail", text="Order 4411 has not arrived",
        ).ticket  # fmt: skip
        writing = factories.conversation(
            site, identity=("api", "chat-7"), name="Ivan", thread_key="chat",
            text="Hi, it's me again, ivan@example.com — any news about 4411?",
        ).ticket  # fmt: skip
        Worker(worker_id="e2e").drain()
        page = phone_page

        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", agent.email)
        page.fill("#id_password", "correct horse battery")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/t/{writing.number}/")

        suggestion = page.locator(".merge-suggestion")
        expect(suggestion).to_contain_text("ivan@example.com")
        expect(suggestion).to_contain_text("Иван Петров")
        suggestion.locator("text=Review the merge").click()
        expect(page.locator(".merge-moves")).to_contain_text("chat-7")
        page.click("text=Merge Ivan into Иван Петров")
        page.wait_for_url(f"{live_server.url}/t/{writing.number}/")
        expect(page.locator(".messages")).to_contain_text("now belongs to Иван Петров")
        expect(page.locator(".merge-suggestion")).to_have_count(0)

        page.click("text=Close as a duplicate…")
        page.select_option("#duplicate-original", str(known.number))
        page.click("text=Close this ticket as a duplicate")
        expect(page.locator("#notice")).to_contain_text(f"Closed as a duplicate of #{known.number}")
        expect(page.locator("#ticket-header")).to_contain_text("Closed")
        expect(page.locator("#timeline")).to_contain_text(
            f"closed this ticket as a duplicate of #{known.number}"
        )
        Worker(worker_id="e2e").drain()
        assert Ticket.objects.get(pk=writing.pk).status == Status.CLOSED
        (told,) = callback.requests
        assert told.json()["message"]["text"].startswith("Thank you! We already have")
