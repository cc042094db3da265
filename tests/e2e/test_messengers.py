"""Messengers through `unidesk run` as an operator starts it: a Telegram bot polled by the
embedded worker on a desk without a public address, and signed WhatsApp webhooks through
the server's webhook lane, with replies going out to the fake platforms."""

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.channels.support import fixture, fixture_bytes
from tests.channels.telegram.fake import TOKEN, FakeTelegram
from tests.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
    signed_headers,
)
from tests.support.server import running_desk

pytestmark = pytest.mark.e2e


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_a_polled_telegram_bot_and_whatsapp_webhooks_on_a_running_desk(tmp_path: Path) -> None:
    with FakeTelegram().running() as telegram, FakeWhatsApp().running() as graph, \
            running_desk(tmp_path / "desk") as desk:  # fmt: skip
        desk.cli("createagent", "--email", "lead@example.com", "--password", "pw-123456",
                 "--role", "admin", "--group", "General")  # fmt: skip
        token = desk.cli("token", "create", "--agent", "lead@example.com").strip()
        agent = httpx.Client(base_url=desk.url, headers={"Authorization": f"Bearer {token}"})
        desk.cli("channel", "add", "telegram", "--name", "Bot", "--group", "General",
                 "--set", f"bot_token={TOKEN}", "--set", f"api_base={telegram.url}",
                 "--set", "poll_timeout=0")  # fmt: skip
        whatsapp = json.loads(desk.cli(
            "channel", "add", "whatsapp", "--name", "WA", "--group", "General",
            "--set", f"access_token={ACCESS_TOKEN}", "--set", f"app_secret={APP_SECRET}",
            "--set", f"verify_token={VERIFY_TOKEN}", "--set", f"phone_number_id={PHONE_NUMBER_ID}",
            "--set", f"api_base={graph.url}",
        ))  # fmt: skip

        # Telegram: no public address, so the embedded worker polls the bot.
        telegram.updates = [fixture("telegram", "text_message")]

        def tickets(channel: str) -> list[dict]:
            return agent.get("/api/v1/tickets", params={"channel": channel}).json()["items"]

        (ticket,) = wait_until(lambda: tickets("telegram"))
        reply = agent.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"text": "Уже ищем"})
        assert reply.status_code == 201
        wait_until(lambda: telegram.sent("sendMessage"))
        assert telegram.sent("sendMessage")[0] == {"chat_id": "700100200", "text": "Уже ищем"}

        # WhatsApp: the handshake, then a signed webhook through the server's lane.
        url = f"{desk.url}/api/v1/channels/whatsapp/{whatsapp['key']}/webhook"
        challenge = httpx.get(url, params={"hub.mode": "subscribe", "hub.challenge": "42",
                                           "hub.verify_token": VERIFY_TOKEN})  # fmt: skip
        assert challenge.text == "42"
        body = fixture_bytes("whatsapp", "text")
        unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
        assert unsigned.status_code == 401
        signed = {
            "Content-Type": "application/json",
            **signed_headers({"app_secret": APP_SECRET}, body),
        }
        first = httpx.post(url, content=body, headers=signed)
        again = httpx.post(url, content=body, headers=signed)
        assert (first.json(), again.json()) == ({"ok": True}, {"ok": True, "duplicate": True})
        (wa_ticket,) = wait_until(lambda: tickets("whatsapp"))
        messages = agent.get(f"/api/v1/tickets/{wa_ticket['id']}/messages").json()["items"]
        assert [m["text"] for m in messages] == ["Добрый день, где мой заказ 7781?"]
