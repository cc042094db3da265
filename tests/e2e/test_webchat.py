"""The live chat as people use it, in Debian's Chromium: a visitor on the shop's own site
writes through the widget, an agent in another browser sees it arrive without reloading,
both see each other typing, the reply reaches the visitor; the desk restarting loses no
message; and the same across two server processes joined by Redis."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.desks import DeskProcess, Site, customer_site, desks, shop_page

pytestmark = pytest.mark.e2e

# A shared two-core machine: give the live updates time, never a fixed sleep.
expect.set_options(timeout=20_000)

# The smallest PNG there is: one transparent pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
AGENT_EMAIL = "olga@shop.example"
AGENT_PASSWORD = "correct horse battery"


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def prepare(desk: DeskProcess, site: Site) -> tuple[str, httpx.Client]:
    """An agent in the General group, a web chat for the shop's site, and an API client
    to look at what the desk stored."""
    desk.cli(
        "createagent",
        "--email",
        AGENT_EMAIL,
        "--password",
        AGENT_PASSWORD,
        "--role",
        "agent",
        "--name",
        "Ольга",
        "--group",
        "General",
        "--language",
        "en",
    )
    desk.cli("createagent", "--email", "lead@shop.example", "--password", AGENT_PASSWORD,
             "--role", "admin")  # fmt: skip
    token = desk.cli("token", "create", "--agent", "lead@shop.example").strip()
    channel = json.loads(desk.cli(
        "channel", "add", "webchat", "--name", "Ромашка", "--group", "General",
        "--set", f"allowed_origins={site.url}", "--set", "title_ru=Поддержка «Ромашки»",
    ))  # fmt: skip
    api = httpx.Client(base_url=desk.url, headers={"Authorization": f"Bearer {token}"})
    return channel["key"], api


# The agent allowed notifications; the page's notifications are recorded, not shown.
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = function (title, options) {
  window.shownNotifications.push({title: title, body: (options || {}).body});
};
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def agent_signs_in(browser: Browser, desk_url: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{desk_url}/login/")
    page.fill("#id_username", AGENT_EMAIL)
    page.fill("#id_password", AGENT_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{desk_url}/")
    return page


def visitor_opens_the_chat(browser: Browser, site: Site, key: str) -> tuple[Page, Any]:
    page = browser.new_context(locale="ru-RU").new_page()
    page.set_default_timeout(20_000)
    page.goto(site.url)
    chat = page.locator(f"#unidesk-chat-{key}")
    chat.locator(".launcher").click()
    expect(chat.locator("header h2")).to_have_text("Поддержка «Ромашки»")
    return page, chat


def visitor_writes(chat: Any, text: str) -> None:
    box = chat.locator("textarea")
    box.fill(text)
    box.press("Enter")


def inbound_texts(api: httpx.Client) -> list[str]:
    tickets = api.get("/api/v1/tickets", params={"channel": "webchat"}).json()["items"]
    texts = []
    for ticket in tickets:
        messages = api.get(f"/api/v1/tickets/{ticket['id']}/messages").json()["items"]
        texts += [m["text"] for m in messages if m["direction"] == "in"]
    return texts


def test_a_visitor_and_an_agent_talk_live(tmp_path: Path, chromium: Browser) -> None:
    with customer_site() as site, desks(tmp_path / "desk") as (desk,):
        key, api = prepare(desk, site)
        site.html = shop_page(desk.url, key)
        agent = agent_signs_in(chromium, desk.url)
        agent.goto(f"{desk.url}/?view=unassigned")
        agent.evaluate("window.stillTheSamePage = true")
        _visitor, chat = visitor_opens_the_chat(chromium, site, key)

        visitor_writes(chat, "Здравствуйте! Где мой заказ 4521?")

        expect(chat.locator(".msg.in").last).to_contain_text("Отправлено")
        row = agent.locator("#ticket-list td.cell-subject a", has_text="Где мой заказ 4521")
        expect(row).to_be_visible()
        expect(agent.locator("#inbox-views a.current .count")).to_have_text("1")
        assert agent.evaluate("window.stillTheSamePage") is True  # no reload
        notified = agent.evaluate("window.shownNotifications")
        assert notified == [
            {"title": "New conversation #1001", "body": "Здравствуйте! Где мой заказ 4521?"}
        ]

        row.click()
        expect(agent.locator("#timeline")).to_contain_text("Где мой заказ 4521?")
        expect(agent.locator("[data-live-watching]")).to_have_count(1)
        chat.locator("textarea").fill("сейчас уточню номер")
        expect(agent.locator("#live-presence")).to_contain_text("The customer is typing")
        agent.fill("#composer-text", "Ольга на связи: заказ уже в пути, трек RA123.")
        expect(chat.locator(".typing")).to_contain_text("Ольга печатает")
        agent.click("#composer button.primary")

        reply = chat.locator(".msg.out").last
        expect(reply).to_contain_text("заказ уже в пути, трек RA123")
        expect(reply.locator(".who")).to_have_text("Ольга")
        expect(agent.locator("#timeline > li.message-out").last).to_contain_text("Read")
        expect(chat.locator(".msg.in").first).to_contain_text("Прочитано")

        chat.locator("input[type=file]").set_input_files(
            files=[{"name": "чек.png", "mimeType": "image/png", "buffer": PNG}]
        )
        expect(chat.locator(".msg.in img[alt='чек.png']")).to_be_visible()
        expect(agent.locator("#timeline .attachments")).to_contain_text("чек.png")
        assert inbound_texts(api) == ["Здравствуйте! Где мой заказ 4521?", ""]


def test_a_restart_of_the_desk_loses_no_message(tmp_path: Path, chromium: Browser) -> None:
    with customer_site() as site, desks(tmp_path / "desk") as (desk,):
        key, api = prepare(desk, site)
        site.html = shop_page(desk.url, key)
        visitor, chat = visitor_opens_the_chat(chromium, site, key)
        visitor_writes(chat, "Первое сообщение")
        expect(chat.locator(".msg.in").last).to_contain_text("Отправлено")

        desk.stop()
        expect(chat.locator(".conn")).to_contain_text("Нет связи")
        visitor_writes(chat, "Второе, пока сервера нет")
        expect(chat.locator("[data-pending]")).to_contain_text("Ещё не отправлено")
        desk.start()

        # Back-off brings the widget back; the queued message goes once.
        expect(chat.locator("[data-pending]")).to_have_count(0, timeout=60_000)
        expect(chat.locator(".msg.in")).to_have_count(2)
        assert inbound_texts(api) == ["Первое сообщение", "Второе, пока сервера нет"]

        ticket = api.get("/api/v1/tickets", params={"channel": "webchat"}).json()["items"][0]
        sent = api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"text": "Всё дошло!"})
        assert sent.status_code == 201
        expect(chat.locator(".msg.out").last).to_contain_text("Всё дошло!")

        visitor.reload()
        chat = visitor.locator(f"#unidesk-chat-{key}")
        chat.locator(".launcher").click()
        expect(chat.locator(".msg[data-id]")).to_have_count(3)
        expect(chat.locator(".log")).to_contain_text("Второе, пока сервера нет")


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/2"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise AssertionError(f"Redis is needed for this test and not reachable at {url}") from exc
    return url


def test_two_server_processes_joined_by_redis(tmp_path: Path, chromium: Browser) -> None:
    redis_url = _redis_url()
    with (
        customer_site() as site,
        desks(tmp_path / "desk", count=2, redis_url=redis_url) as (
            visitors_desk,
            agents_desk,
        ),
    ):
        key, api = prepare(visitors_desk, site)
        site.html = shop_page(visitors_desk.url, key)
        agent = agent_signs_in(chromium, agents_desk.url)
        agent.goto(f"{agents_desk.url}/?view=unassigned")
        _visitor, chat = visitor_opens_the_chat(chromium, site, key)

        visitor_writes(chat, "Пишу через первый сервер")
        row = agent.locator("#ticket-list td.cell-subject a", has_text="Пишу через первый")
        expect(row).to_be_visible()
        row.click()
        expect(agent.locator("#timeline")).to_contain_text("Пишу через первый сервер")
        expect(agent.locator("[data-live-watching]")).to_have_count(1)
        chat.locator("textarea").fill("печатаю…")
        expect(agent.locator("#live-presence")).to_contain_text("The customer is typing")
        agent.fill("#composer-text", "Отвечаю со второго сервера.")
        expect(chat.locator(".typing")).to_contain_text("Ольга печатает")
        agent.click("#composer button.primary")

        expect(chat.locator(".msg.out").last).to_contain_text("Отвечаю со второго сервера.")
        expect(agent.locator("#timeline > li.message-out").last).to_contain_text("Read")
        assert inbound_texts(api) == ["Пишу через первый сервер"]
