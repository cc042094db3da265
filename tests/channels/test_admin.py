"""Connecting and editing channels in the administration (administrators only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.channels.telegram.fake import FakeTelegram
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.core import crypto

ADD = reverse("admin:unidesk_channels_channelaccount_add")
LIST = reverse("admin:unidesk_channels_channelaccount_changelist")

# What an administrator types for each kind; the secret values must never come back.
CONNECT: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # kind: (plain settings, secret settings)
    "api": ({"callback_url": "https://crm.example/hook"}, {}),
    "email": (
        {"address": "help@shop.example", "smtp_host": "smtp.shop.example", "smtp_port": "587"},
        {"smtp_password": "smtp-pass-5150", "imap_password": "imap-pass-5151"},
    ),
    "webchat": ({"color": "#112233", "title_en": "Ask us"}, {}),
    "telegram": ({"mode": "webhook", "api_base": "http://127.0.0.1:9/tg"},
                 {"bot_token": "7012345678:AAH-token-4242", "secret_token": "tg-secret-4343"}),
    "whatsapp": (
        {"phone_number_id": "106540352242922", "api_base": "http://127.0.0.1:9/graph"},
        {"access_token": "EAAG-token-7777", "app_secret": "app-secret-8888",
         "verify_token": "verify-9999"},
    ),
    "vk": ({"group_id": "229876543", "confirmation": "a1b2c3d4"},
           {"access_token": "vk1.a.token-6161"}),
    "facebook": (
        {"app_id": "1234567890", "page_id": "106012345678901"},
        {"page_access_token": "EAAB-page-3131", "app_secret": "fb-app-secret-3232",
         "verify_token": "fb-verify-3333"},
    ),
    "instagram": (
        {"app_id": "1234567890", "page_id": "106012345678901", "ig_account_id": "17841400000"},
        {"page_access_token": "EAAB-page-4141", "app_secret": "ig-app-secret-4242",
         "verify_token": "ig-verify-4343"},
    ),
    "phone": ({"api_base": "https://pbx.example/api"}, {}),
}  # fmt: skip
# Kinds whose generated inbound secret the administrator has to hand on.
USES_INBOUND_SECRET = {"api", "email", "webchat", "telegram", "vk", "phone"}


@pytest.fixture
def admin(db: None) -> Agent:
    return factories.agent(role="admin", email="root@example.com")


@pytest.fixture
def admin_client(client: Client, admin: Agent) -> Client:
    client.force_login(admin)
    return client


def _form(name: str, plain: dict[str, str], secret: dict[str, str], **extra: str) -> dict[str, str]:
    form = {"name": name, "group": "", **extra}
    form.update({f"setting_{k}": v for k, v in {**plain, **secret}.items()})
    return form


def _raw_secrets_column(account: ChannelAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets_encrypted, settings FROM unidesk_channels_channelaccount WHERE id = %s",
            [account.pk],
        )
        encrypted, settings = cursor.fetchone()
    return f"{encrypted} {settings}"


def test_the_channel_list_offers_to_connect_a_channel_and_lists_every_kind(
    admin_client: Client,
) -> None:
    listing = admin_client.get(LIST).content.decode()
    picker = admin_client.get(ADD).content.decode()

    assert "Connect a channel" in listing
    assert ADD in listing
    for kind in CONNECT:
        assert f'href="?kind={kind}"' in picker


@pytest.mark.parametrize("kind", sorted(CONNECT))
def test_an_administrator_connects_each_kind_and_sees_its_secret_once(
    admin_client: Client, kind: str, settings: Any
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    plain, secret = CONNECT[kind]
    group = factories.group("Billing")
    form_page = admin_client.get(ADD, {"kind": kind}).content.decode()
    for name in [*plain, *secret]:
        assert f'name="setting_{name}"' in form_page
    for name in secret:
        assert f'type="password" name="setting_{name}"' in form_page

    response = admin_client.post(
        f"{ADD}?kind={kind}", _form(f"Support {kind}", plain, secret, group=str(group.pk))
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    account = ChannelAccount.objects.get(kind=kind, name=f"Support {kind}")
    assert account.group == group
    for name, value in plain.items():
        assert account.settings[name] == value
    stored = account.secrets
    for name, value in secret.items():
        assert stored[name] == value
    inbound_secret = stored["secret"]
    raw = _raw_secrets_column(account)
    for value in [*secret.values(), inbound_secret]:
        assert value not in raw
    location = response["Location"]
    assert location == reverse("admin:unidesk_channels_channelaccount_connected", args=[account.pk])
    assert inbound_secret not in location

    shown = admin_client.get(location).content.decode()
    again = admin_client.get(location).content.decode()
    change = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])
    ).content.decode()
    listing = admin_client.get(LIST).content.decode()

    if kind == "webchat":
        address = f'data-channel="{account.key}"'  # the tag to put on the site
    else:
        address = f"https://desk.example.com/api/v1/channels/{kind}/{account.key}/"
    assert address in shown
    if kind in USES_INBOUND_SECRET:
        assert inbound_secret in shown
        assert "shown only this once" in shown
    else:
        assert inbound_secret not in shown
    for page in (again, change, listing):
        assert inbound_secret not in page
        for value in secret.values():
            assert value not in page
    for value in secret.values():
        assert value not in shown
    assert address in again


def test_the_secret_belongs_to_the_channel_just_connected(admin_client: Client) -> None:
    """Opening another channel's result page neither shows nor spends the new secret."""
    older, older_secret = factories.channel("api")
    admin_client.post(f"{ADD}?kind=api", _form("Website form", {}, {}))
    account = ChannelAccount.objects.get(name="Website form")
    secret = account.secrets["secret"]

    other = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_connected", args=[older.pk])
    ).content.decode()
    own = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_connected", args=[account.pk])
    ).content.decode()

    assert secret not in other
    assert older_secret not in other
    assert secret in own


def test_a_given_inbound_secret_is_kept_and_vk_takes_its_callback_secret(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        f"{ADD}?kind=vk",
        _form("VK: Hiking", {"group_id": "229876543"}, {"secret": "vk-callback-secret-1"}),
    )

    assert response.status_code == 302
    account = ChannelAccount.objects.get(name="VK: Hiking")
    assert account.secrets["secret"] == "vk-callback-secret-1"
    assert "secret" not in account.settings


def test_invalid_settings_are_shown_on_the_form_and_connect_nothing(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        f"{ADD}?kind=webchat",
        _form("Shop chat", {"color": "blue", "prechat": "sometimes"}, {}),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below." in html
    assert "color:" in html
    assert "prechat:" in html
    assert 'value="Shop chat"' in html  # what was typed stays
    assert not ChannelAccount.objects.exists()


def test_a_name_is_required_and_typed_secrets_are_not_sent_back(admin_client: Client) -> None:
    response = admin_client.post(
        f"{ADD}?kind=telegram", _form("  ", {}, {"bot_token": "7012345678:AAH-token-4242"})
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "7012345678:AAH-token-4242" not in html
    assert not ChannelAccount.objects.exists()


def test_a_second_channel_with_the_same_kind_and_name_is_refused(admin_client: Client) -> None:
    first = admin_client.post(f"{ADD}?kind=api", _form("Website form", {}, {}))
    twice = admin_client.post(f"{ADD}?kind=api", _form("Website form", {}, {}))
    other_kind = admin_client.post(f"{ADD}?kind=phone", _form("Website form", {}, {}))

    assert first.status_code == 302
    assert twice.status_code == 200
    assert "A channel of this kind already has this name." in twice.content.decode()
    assert other_kind.status_code == 302
    assert ChannelAccount.objects.filter(kind="api").count() == 1


def test_the_key_and_the_kind_cannot_be_chosen_by_the_form(admin_client: Client) -> None:
    existing, _secret = factories.channel("api")

    response = admin_client.post(
        f"{ADD}?kind=api", _form("Second form", {}, {}, key=existing.key, kind="telegram")
    )

    assert response.status_code == 302
    created = ChannelAccount.objects.get(name="Second form")
    assert created.kind == "api"
    assert created.key != existing.key


def test_an_unknown_kind_leads_back_to_the_choice(admin_client: Client) -> None:
    response = admin_client.post(f"{ADD}?kind=fax", {"name": "Fax"})

    assert response.status_code == 200
    assert 'href="?kind=telegram"' in response.content.decode()
    assert not ChannelAccount.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_only_administrators_connect_channels(client: Client, db: None, role: str) -> None:
    account, secret = factories.channel("api")
    client.force_login(factories.agent(role=role))
    pages = [
        ("get", ADD),
        ("post", f"{ADD}?kind=api"),
        ("get", reverse("admin:unidesk_channels_channelaccount_connected", args=[account.pk])),
        ("post", reverse("admin:unidesk_channels_channelaccount_set_up", args=[account.pk])),
        ("get", reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])),
    ]

    for method, url in pages:
        response = getattr(client, method)(url, {"name": "Sneaky"} if method == "post" else {})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))
        assert secret not in response.content.decode()
    assert list(ChannelAccount.objects.values_list("name", flat=True)) == [account.name]


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(client: Client, db: None) -> None:
    response = client.post(f"{ADD}?kind=api", {"name": "Sneaky"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not ChannelAccount.objects.exists()


# --- the change form ---------------------------------------------------------------------


def _change_form(account: ChannelAccount, **values: str) -> dict[str, str]:
    form = {"name": account.name, "group": "", "is_active": "on"}
    form.update({f"setting_{k}": str(v) for k, v in account.settings.items()})
    form.update({f"setting_{k}": v for k, v in values.items()})
    return form


def test_the_change_form_has_a_field_per_setting_and_masks_the_secrets(
    admin_client: Client,
) -> None:
    account, secret = factories.channel(
        "telegram", settings={"bot_token": "7012345678:AAH-token-4242", "mode": "polling"}
    )
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    html = admin_client.get(url).content.decode()

    assert 'name="setting_mode"' in html
    assert 'value="polling"' in html
    assert 'type="password" name="setting_bot_token"' in html
    assert crypto.mask("7012345678:AAH-token-4242") in html
    assert crypto.mask(secret) in html
    assert "7012345678:AAH-token-4242" not in html
    assert secret not in html
    assert "Set up at the platform" in html


def test_empty_secret_fields_keep_the_stored_secrets_and_a_value_replaces_one(
    admin_client: Client,
) -> None:
    account, secret = factories.channel(
        "whatsapp",
        settings={"access_token": "EAAG-token-7777", "app_secret": "app-secret-8888",
                  "phone_number_id": "106540352242922"},
    )  # fmt: skip
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    response = admin_client.post(
        url,
        _change_form(account, phone_number_id="106540352242923", access_token="EAAG-new-1111"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    account.refresh_from_db()
    assert account.settings["phone_number_id"] == "106540352242923"
    assert account.secrets == {
        "secret": secret,
        "access_token": "EAAG-new-1111",
        "app_secret": "app-secret-8888",
    }
    assert "EAAG-new-1111" not in _raw_secrets_column(account)
    history = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_history", args=[account.pk])
    ).content.decode()
    assert "EAAG-new-1111" not in history


def test_emptying_a_plain_setting_returns_it_to_its_default(admin_client: Client) -> None:
    account, _secret = factories.channel("api", settings={"callback_url": "https://crm.test/h"})
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    response = admin_client.post(url, _change_form(account, callback_url=""))

    assert response.status_code == 302, response.content.decode()[:3000]
    account.refresh_from_db()
    assert "callback_url" not in account.settings


def test_invalid_settings_on_the_change_form_change_nothing(admin_client: Client) -> None:
    account, _secret = factories.channel("webchat", name="Shop chat")
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])
    before = dict(account.settings)

    response = admin_client.post(url, _change_form(account, color="blue", title_en="Hello"))

    assert response.status_code == 200
    assert "color:" in response.content.decode()
    account.refresh_from_db()
    assert account.settings == before


def test_renaming_to_another_channels_name_is_refused(admin_client: Client) -> None:
    factories.channel("api", name="Website form")
    account, _secret = factories.channel("api", name="Mobile app")
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    response = admin_client.post(url, {**_change_form(account), "name": "Website form"})

    assert response.status_code == 200
    assert "A channel of this kind already has this name." in response.content.decode()
    account.refresh_from_db()
    assert account.name == "Mobile app"


def test_settings_outside_the_known_names_are_edited_as_json_and_secrets_refused_there(
    admin_client: Client,
) -> None:
    account, _secret = factories.channel("api")
    ChannelAccount.objects.filter(pk=account.pk).update(
        settings={"callback_url": "https://crm.test/h", "legacy_flag": "on"}
    )
    account.refresh_from_db()
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    page = admin_client.get(url).content.decode()
    misplaced = admin_client.post(
        url,
        {**_change_form(account), "other_settings": '{"legacy_flag": "on", "secret": "plain"}'},
    )
    unknown = admin_client.post(
        url, {**_change_form(account), "other_settings": '{"brand_new": "x"}'}
    )
    removed = admin_client.post(url, {**_change_form(account), "other_settings": "{}"})

    assert "legacy_flag" in page
    assert "are secrets" in misplaced.content.decode()
    assert "Unknown settings brand_new" in unknown.content.decode()
    assert removed.status_code == 302, removed.content.decode()[:3000]
    account.refresh_from_db()
    assert account.settings == {"callback_url": "https://crm.test/h"}
    assert "secret" not in account.settings


def test_a_change_form_without_unknown_settings_has_no_json(admin_client: Client) -> None:
    account, _secret = factories.channel("api")
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    assert 'name="other_settings"' not in admin_client.get(url).content.decode()


# --- setting the channel up at the platform ----------------------------------------------


@pytest.fixture
def telegram() -> Any:
    with FakeTelegram().running() as fake:
        yield fake


def test_setting_up_a_telegram_bot_registers_its_webhook(
    admin_client: Client, telegram: FakeTelegram, settings: Any
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    admin_client.post(
        f"{ADD}?kind=telegram",
        _form("Telegram: @shop_bot", {"api_base": telegram.url, "mode": "webhook"},
              {"bot_token": telegram.token}),
    )  # fmt: skip
    account = ChannelAccount.objects.get(name="Telegram: @shop_bot")
    result = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_connected", args=[account.pk])
    ).content.decode()
    assert "Set up at the platform" in result

    response = admin_client.post(
        reverse("admin:unidesk_channels_channelaccount_set_up", args=[account.pk]), follow=True
    )

    webhook_url = f"https://desk.example.com/api/v1/channels/telegram/{account.key}/webhook"
    assert telegram.sent("setWebhook")[-1]["url"] == webhook_url
    assert telegram.sent("setWebhook")[-1]["secret_token"] == account.secrets["secret"]
    assert f"webhook set to {webhook_url}" in response.content.decode()
    assert account.secrets["secret"] not in response.content.decode()


def test_a_platform_refusing_the_set_up_is_reported(
    admin_client: Client, telegram: FakeTelegram
) -> None:
    account, _secret = factories.channel(
        "telegram",
        settings={"bot_token": "999:wrong-token", "api_base": telegram.url, "mode": "webhook"},
    )

    response = admin_client.post(
        reverse("admin:unidesk_channels_channelaccount_set_up", args=[account.pk]), follow=True
    )

    assert response.status_code == 200
    assert "The platform refused" in response.content.decode()
    assert "999:wrong-token" not in response.content.decode()


def test_setting_up_is_a_post(admin_client: Client) -> None:
    account, _secret = factories.channel("telegram")

    response = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_set_up", args=[account.pk])
    )

    assert response.status_code == 405


def test_the_connect_pages_speak_russian(admin_client: Client) -> None:
    picker = admin_client.get(ADD, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    form = admin_client.get(ADD, {"kind": "telegram"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Подключить канал" in picker
    assert "Секреты" in form
    assert "Токен, который @BotFather выдал для бота." in form


def test_pages_of_a_channel_that_does_not_exist_are_not_errors(admin_client: Client) -> None:
    change = admin_client.get("/admin/unidesk_channels/channelaccount/not-a-number/change/")
    connected = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_connected", args=[999_999])
    )
    set_up = admin_client.post(
        reverse("admin:unidesk_channels_channelaccount_set_up", args=[999_999])
    )

    assert change.status_code == 302
    assert connected.status_code == 404
    assert set_up.status_code == 404
