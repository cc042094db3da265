"""An agent in a real browser on an email ticket: the quoted history opens on a click, and a
blind copy is added from the sidebar and receives the reply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests import factories
from tests.channels.email.support import eml, mailbox
from tests.workspace.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS
from unidesk.channels.email.services import mail_ingest_now
from unidesk.tickets.models import Ticket

pytestmark = pytest.mark.e2e


@pytest.fixture
def page() -> Iterator[Any]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        opened = browser.new_page(viewport={"width": 1280, "height": 900})
        opened.set_default_timeout(15_000)
        try:
            yield opened
        finally:
            browser.close()


def test_folded_quote_and_a_blind_copy_from_the_sidebar(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    agent = factories.agent(role="agent", groups=["Support"], email="anna@shop.example")
    account = mailbox(acknowledge="off")
    mail_ingest_now(account=account, raws=[eml("gmail_reply_ru")])
    ticket = Ticket.objects.get()

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/t/{ticket.number}/")

    message = page.locator("#timeline > li.message-in").first
    expect(message).to_contain_text("Спасибо, посылка пришла!")
    quoted = message.locator("details.email-hidden .message-body")
    expect(quoted).to_be_hidden()
    message.locator("details.email-hidden summary").click()
    expect(quoted).to_be_visible()
    expect(quoted).to_contain_text("Ваш заказ 4512 отправлен.")

    page.fill("#copy-address", "auditor@client.example")
    page.select_option("#email-copies select[name=role]", "bcc")
    page.click("#email-copies .copy-add button[type=submit]")

    expect(page.locator("#notice")).to_contain_text("Copy added.")
    expect(page.locator("#email-copies")).to_contain_text("auditor@client.example")
    expect(page.locator("#email-copies")).to_contain_text("BCC")
    expect(page.locator("#timeline")).to_contain_text("added auditor@client.example in blind copy")
    assert ticket.participants.get().identity.value == "auditor@client.example"
