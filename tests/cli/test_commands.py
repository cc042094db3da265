"""The `unidesk` command line as operators use it."""

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.core import crypto

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createagent_creates_and_updates_an_agent_with_groups() -> None:
    run("createagent", "--email", "Olga@Example.com", "--password", "s3cret-pass",
        "--role", "agent", "--group", "Оплата / Billing", "--group", "General")  # fmt: skip
    run("createagent", "--email", "olga@example.com", "--password", "new-pass-2",
        "--role", "supervisor")  # fmt: skip

    agent = Agent.objects.get()
    assert agent.email == "olga@example.com"
    assert agent.role == "supervisor"
    assert sorted(agent.groups.values_list("name", flat=True)) == ["General", "Оплата / Billing"]
    assert Client().login(email="olga@example.com", password="new-pass-2")


def test_createagent_refuses_a_bad_email() -> None:
    with pytest.raises(CommandError, match="not an email"):
        run("createagent", "--email", "nobody", "--password", "x", "--role", "agent")


def test_token_create_prints_a_token_that_works_once_shown() -> None:
    run("createagent", "--email", "a@example.com", "--password", "pw-pw-pw", "--role", "agent")

    token = run("token", "create", "--agent", "a@example.com").strip()

    assert token.startswith("udk_")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/me").json()["email"] == "a@example.com"
    assert token not in run("token", "list", "--agent", "a@example.com")


def test_token_for_an_unknown_agent_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="No agent"):
        run("token", "create", "--agent", "ghost@example.com")


def test_channel_add_prints_json_and_the_secret_opens_the_inbound_endpoint() -> None:
    printed = json.loads(
        run("channel", "add", "api", "--name", "Website form", "--group", "General",
            "--set", "callback_url=http://127.0.0.1:1/x")
    )  # fmt: skip

    assert set(printed) == {"id", "kind", "key", "secret"}
    account = ChannelAccount.objects.get(pk=printed["id"])
    assert (account.kind, account.key, account.group.name) == ("api", printed["key"], "General")
    assert account.settings == {"callback_url": "http://127.0.0.1:1/x"}
    assert printed["secret"] not in account.secrets_encrypted
    response = Client().post(
        f"/api/v1/channels/api/{printed['key']}/messages",
        {"external_id": "1", "identity": {"kind": "api", "value": "u1"}, "text": "hi"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {printed['secret']}"},
    )
    assert response.status_code == 201


def test_channel_add_refuses_unknown_settings_and_malformed_pairs() -> None:
    with pytest.raises(CommandError, match="Unknown setting"):
        run("channel", "add", "api", "--name", "x", "--set", "callbak_url=http://x")
    with pytest.raises(CommandError, match="key=value"):
        run("channel", "add", "api", "--name", "x", "--set", "callback_url")
    assert ChannelAccount.objects.count() == 0


def test_channel_add_connects_two_channels_of_one_name_with_keys_of_their_own() -> None:
    # Scripts connect channels by name without looking first; the key tells them apart.
    first = json.loads(run("channel", "add", "api", "--name", "Website form"))
    second = json.loads(run("channel", "add", "api", "--name", "Website form"))

    assert first["key"] != second["key"]
    assert ChannelAccount.objects.filter(name="Website form").count() == 2


def test_channel_list_masks_secrets() -> None:
    printed = json.loads(run("channel", "add", "api", "--name", "Form"))

    listing = run("channel", "list")

    assert printed["key"] in listing
    assert printed["secret"] not in listing
    assert crypto.mask(printed["secret"]) in listing


def test_the_console_script_runs_django_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "unidesk", "help", "createagent"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0
    assert "--role" in result.stdout


def test_agents_log_in_whatever_the_case_of_their_address() -> None:
    run("createagent", "--email", "Maria@Example.com", "--password", "pw-pw-pw", "--role", "agent")

    assert Client().login(username="MARIA@example.COM", password="pw-pw-pw")
