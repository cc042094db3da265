"""Email end to end on a running desk (`unidesk run` with its embedded worker): a message put
into a real IMAP mailbox (Dovecot) becomes a ticket, the agent's reply reaches the
customer's SMTP server threaded, and the customer's answer to it continues the ticket. The
inbound SMTP listener (`unidesk smtpd`) and the raw webhook feed the same desk."""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.support.dovecot import Dovecot, available, running_dovecot
from tests.support.server import free_port, running_desk
from tests.support.smtp import smtp_sink

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not available(), reason="needs Dovecot: apt-get install dovecot-imapd"),
]

ADDRESS = "support@shop.example"


def wait_until(predicate, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with (
        tempfile.TemporaryDirectory(prefix="unidesk-dovecot-") as root,
        running_dovecot(Path(root)) as server,
    ):
        yield server


def customer_email(subject: str, text: str, message_id: str, in_reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "Olga Petrova <olga@client.example>"
    message["To"] = f"Shop <{ADDRESS}>"
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(text)
    return message.as_bytes()


def test_imap_in_smtp_out_and_the_answer_threads_back(tmp_path: Path, dovecot: Dovecot) -> None:
    user = dovecot.new_user()
    with smtp_sink() as customer_server, running_desk(tmp_path / "desk") as desk:
        desk.cli("createagent", "--email", "anna@shop.example", "--password", "pw-123456",
                 "--role", "agent", "--group", "Support")  # fmt: skip
        token = desk.cli("token", "create", "--agent", "anna@shop.example").strip()
        api = httpx.Client(base_url=desk.url, headers={"Authorization": f"Bearer {token}"})
        settings = {
            "address": ADDRESS, **dovecot.settings(user), "poll_interval": "5",
            **customer_server.settings,
        }  # fmt: skip
        sets = [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]
        desk.cli("channel", "add", "email", "--name", "Shop support", "--group", "Support", *sets)

        dovecot.append(user, customer_email("Where is my order?", "Order 4512 has not come.",
                                            "first@client.example"))  # fmt: skip

        def tickets() -> list[dict]:
            return api.get("/api/v1/tickets", params={"channel": "email"}).json()["items"]

        (ticket,) = wait_until(tickets)
        assert ticket["subject"] == "Where is my order?"
        # The acknowledgement goes out first, then the agent's reply.
        assert customer_server.wait_for(1, timeout=40)
        acknowledgement = customer_server.received[0].message
        assert str(acknowledgement["Auto-Submitted"]) == "auto-replied"
        assert f"#{ticket['number']}" in acknowledgement.get_body(("plain",)).get_content()

        body = {"text": "It left the warehouse today.", "kind": "reply"}
        reply = api.post(f"/api/v1/tickets/{ticket['id']}/messages", json=body)
        assert reply.status_code == 201
        assert customer_server.wait_for(2, timeout=40)
        answer = customer_server.received[1].message
        assert str(answer["Subject"]) == f"Re: Where is my order? [#{ticket['number']}]"
        assert str(answer["In-Reply-To"]) == "<first@client.example>"
        assert "<first@client.example>" in str(answer["References"])
        assert answer["From"].addresses[0].addr_spec == ADDRESS

        # The customer answers the reply; the client drops the subject token.
        dovecot.append(user, customer_email("Re: Where is my order?", "Thanks, got it!",
                                            "second@client.example",
                                            in_reply_to=str(answer["Message-ID"])))  # fmt: skip

        def messages() -> list[dict]:
            url = f"/api/v1/tickets/{ticket['id']}/messages"
            return [m for m in api.get(url).json()["items"] if m["direction"] == "in"]

        wait_until(lambda: len(messages()) == 2)
        assert len(tickets()) == 1
        assert messages()[1]["text"].strip() == "Thanks, got it!"


def test_unidesk_smtpd_and_the_raw_webhook_feed_a_running_desk(tmp_path: Path) -> None:
    with running_desk(tmp_path / "desk") as desk:
        desk.cli("createagent", "--email", "anna@shop.example", "--password", "pw-123456",
                 "--role", "agent", "--group", "Support")  # fmt: skip
        token = desk.cli("token", "create", "--agent", "anna@shop.example").strip()
        api = httpx.Client(base_url=desk.url, headers={"Authorization": f"Bearer {token}"})
        channel = json.loads(desk.cli("channel", "add", "email", "--name", "Shop support",
                                      "--group", "Support", "--set", f"address={ADDRESS}",
                                      "--set", "acknowledge=off"))  # fmt: skip
        port = free_port()
        listener = subprocess.Popen(
            [sys.executable, "-m", "unidesk", "smtpd", "--bind", f"127.0.0.1:{port}"],
            env=desk.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            assert "listening" in (listener.stdout.readline() if listener.stdout else "")
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail(
                    "olga@client.example",
                    [ADDRESS],
                    customer_email("By SMTP", "Sent by SMTP.", "smtp@client.example"),
                )
                with pytest.raises(smtplib.SMTPRecipientsRefused):
                    client.sendmail(
                        "olga@client.example",
                        ["other@elsewhere.example"],
                        customer_email("Relay?", "No.", "relay@client.example"),
                    )
        finally:
            listener.terminate()
            listener.wait(timeout=20)

        raw = customer_email("By webhook", "Sent by a provider's route.", "hook@client.example")
        response = httpx.post(f"{desk.url}/api/v1/channels/email/{channel['key']}/raw",
                              content=raw, headers={
                                  "Authorization": f"Bearer {channel['secret']}",
                                  "Content-Type": "message/rfc822",
                              })  # fmt: skip
        assert response.status_code == 200

        def subjects() -> set[str]:
            items = api.get("/api/v1/tickets", params={"channel": "email"}).json()["items"]
            return {t["subject"] for t in items}

        wait_until(lambda: subjects() == {"By SMTP", "By webhook"})
