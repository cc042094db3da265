"""`unidesk run` as an operator starts it: real server, real worker, real HTTP."""

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.support.http import fake_server
from tests.support.server import running_desk

pytestmark = pytest.mark.e2e


def wait_until(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_a_message_in_and_a_reply_out_through_the_running_server(tmp_path: Path) -> None:
    with fake_server() as callback, running_desk(tmp_path / "desk") as desk:
        desk.cli("createagent", "--email", "lead@example.com", "--password", "pw-123456",
                 "--role", "admin", "--group", "General")  # fmt: skip
        token = desk.cli("token", "create", "--agent", "lead@example.com").strip()
        added = desk.cli("channel", "add", "api", "--name", "CRM", "--group", "General",
                         "--set", f"callback_url={callback.url}/in")  # fmt: skip
        channel = json.loads(added)
        agent = httpx.Client(base_url=desk.url, headers={"Authorization": f"Bearer {token}"})

        inbound = httpx.post(
            f"{desk.url}/api/v1/channels/api/{channel['key']}/messages",
            json={"external_id": "crm-1",
                  "identity": {"kind": "email", "value": "ivan@example.ru"},
                  "name": "Иван", "text": "Не могу оплатить заказ картой"},
            headers={"Authorization": f"Bearer {channel['secret']}"},
        )  # fmt: skip
        assert inbound.status_code == 201
        ticket_id = inbound.json()["ticket_id"]

        tickets = agent.get("/api/v1/tickets", params={"q": "оплата"}).json()["items"]
        assert [t["id"] for t in tickets] == [ticket_id]

        reply = agent.post(f"/api/v1/tickets/{ticket_id}/messages",
                           json={"text": "Попробуйте, пожалуйста, ещё раз"})  # fmt: skip
        assert reply.status_code == 201

        assert callback.wait_for(1), "the embedded worker did not deliver the reply"
        assert callback.requests[0].json()["message"]["text"] == "Попробуйте, пожалуйста, ещё раз"

        def delivered() -> bool:
            items = agent.get(f"/api/v1/tickets/{ticket_id}/messages").json()["items"]
            return items[-1]["delivery_status"] == "sent"

        wait_until(delivered)
        assert httpx.get(f"{desk.url}/healthz").json()["status"] == "ok"
    assert "running at" in desk.output()


def test_a_fresh_start_without_demo_explains_how_to_create_an_admin(tmp_path: Path) -> None:
    with running_desk(tmp_path / "desk") as desk:
        assert httpx.get(f"{desk.url}/healthz").status_code == 200
    output = desk.output()
    assert "createagent" in output
    assert "Demo login" not in output
