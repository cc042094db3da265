"""Connecting messenger channels from the command line."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.channels.telegram.fake import TOKEN, FakeTelegram
from unidesk.channels.models import ChannelAccount

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def telegram():
    with FakeTelegram().running() as fake:
        yield fake


def test_a_telegram_bot_is_added_with_its_token_encrypted_and_connected(telegram, settings) -> None:
    settings.BASE_URL = "https://desk.example.com"
    printed = json.loads(run(
        "channel", "add", "telegram", "--name", "Shop bot",
        "--set", f"bot_token={TOKEN}", "--set", f"api_base={telegram.url}",
    ))  # fmt: skip

    account = ChannelAccount.objects.get(pk=printed["id"])
    assert printed["kind"] == "telegram"
    assert TOKEN not in json.dumps(account.settings)
    assert TOKEN not in account.secrets_encrypted
    assert account.secrets["bot_token"] == TOKEN
    listed = run("channel", "list")
    assert TOKEN not in listed
    assert printed["secret"] not in listed

    done = run("channel", "connect", account.key)

    (webhook,) = telegram.sent("setWebhook")
    assert (
        webhook["url"] == f"https://desk.example.com/api/v1/channels/telegram/{account.key}/webhook"
    )
    assert webhook["secret_token"] == printed["secret"]
    assert "@shop_support_bot: webhook set to" in done


def test_a_desk_without_https_polls_instead(telegram, settings) -> None:
    settings.BASE_URL = "http://127.0.0.1:8000"
    telegram.webhook_url = "https://old.example/hook"
    key = json.loads(run(
        "channel", "add", "telegram", "--name", "Bot",
        "--set", f"bot_token={TOKEN}", "--set", f"api_base={telegram.url}",
    ))["key"]  # fmt: skip

    assert "polling for updates" in run("channel", "connect", key)
    assert telegram.webhook_url == ""


def test_a_wrong_token_is_reported_without_a_traceback(telegram) -> None:
    key = json.loads(run(
        "channel", "add", "telegram", "--name", "Bot",
        "--set", "bot_token=1:wrong", "--set", f"api_base={telegram.url}",
    ))["key"]  # fmt: skip

    with pytest.raises(CommandError, match="rejected the bot token"):
        run("channel", "connect", key)


SECRET_NAMES = {"bot_token", "secret_token", "access_token", "page_access_token", "app_secret",
                "verify_token", "secret"}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("telegram", ["bot_token", "secret_token"]),
        ("whatsapp", ["access_token", "app_secret", "verify_token", "phone_number_id"]),
        ("vk", ["access_token", "group_id", "secret", "confirmation"]),
        ("facebook", ["page_access_token", "app_secret", "app_id", "verify_token", "page_id"]),
        ("instagram", ["page_access_token", "app_secret", "app_id", "verify_token", "page_id",
                       "ig_account_id"]),
        ("phone", ["secret"]),
    ],
)  # fmt: skip
def test_every_platform_takes_its_documented_settings(kind, names) -> None:
    values = {name: f"{name}-value-4f9c1e7a" for name in names}
    args = [
        a
        for pair in [*(f"{k}={v}" for k, v in values.items()), "api_base=http://127.0.0.1:9"]
        for a in ("--set", pair)
    ]

    printed = json.loads(run("channel", "add", kind, "--name", kind, *args))

    account = ChannelAccount.objects.get(pk=printed["id"])
    assert account.settings["api_base"] == "http://127.0.0.1:9"
    listed = run("channel", "list")
    for name, value in values.items():
        if name in SECRET_NAMES:
            # Encrypted at rest, and never shown again in full.
            assert name not in account.settings
            assert value not in account.secrets_encrypted
            assert account.secrets[name] == value
            assert value not in listed
        else:
            assert account.settings[name] == value
    if "secret" in values:
        assert printed["secret"] == values["secret"]


def test_an_unknown_setting_names_the_known_ones() -> None:
    with pytest.raises(CommandError, match=r"known: .*phone_number_id"):
        run("channel", "add", "whatsapp", "--name", "WA", "--set", "phone_id=1")
