"""An administrator connects a channel in the browser, and the secret the page shows once is
the one that opens the channel's inbound endpoint."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.server import running_desk

pytestmark = pytest.mark.e2e


def test_an_administrator_connects_an_api_channel_and_its_secret_works(tmp_path: Path) -> None:
    with running_desk(tmp_path / "desk") as desk, sync_playwright() as playwright:
        desk.cli("createagent", "--email", "lead@example.com", "--password", "pw-123456",
                 "--role", "admin", "--group", "General", "--language", "en")  # fmt: skip
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{desk.url}/admin/login/")
        page.fill("#id_username", "lead@example.com")
        page.fill("#id_password", "pw-123456")
        page.click("input[type=submit]")

        page.goto(f"{desk.url}/admin/unidesk_channels/channelaccount/")
        page.click("text=Connect a channel")
        page.click("a[href='?kind=api']")
        page.fill("#id_name", "Website form")
        page.select_option("#id_group", label="General")
        page.click("input[name=_save]")

        expect(page.locator("h1")).to_contain_text("Channel connected: Website form")
        address = page.locator("#inbound-url").inner_text()
        secret = page.locator("#inbound-secret").inner_text()
        assert secret not in page.url
        page.reload()
        expect(page.locator("#inbound-url")).to_have_text(address)
        expect(page.locator("#inbound-secret")).to_have_count(0)
        browser.close()

        inbound = httpx.post(
            address,
            json={"external_id": "form-1",
                  "identity": {"kind": "email", "value": "ivan@example.ru"},
                  "name": "Иван", "text": "Где мой заказ?"},
            headers={"Authorization": f"Bearer {secret}"},
        )  # fmt: skip
        assert inbound.status_code == 201, inbound.text
