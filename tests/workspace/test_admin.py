"""The administration screens (Django admin), open to administrators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.accounts.models import Agent, ApiToken
from unidesk.accounts.services import token_create
from unidesk.channels.models import ChannelAccount, Delivery, DeliveryState
from unidesk.channels.services import reply_send
from unidesk.core import crypto


@pytest.fixture
def admin_client(client: Client, db: None) -> Client:
    client.force_login(factories.agent(role="admin", email="root@example.com"))
    return client


def test_only_administrators_get_into_the_administration(client: Client, agent: Agent) -> None:
    client.force_login(agent)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_administration_lists_unidesks_own_screens(admin_client: Client) -> None:
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert "unidesk administration" in html
    for name in ("Agents", "Groups", "API tokens", "Customers", "Tickets", "Tags", "Channels"):
        assert name in html
    assert not admin.site.is_registered(AuthGroup)


def test_an_administrator_creates_an_agent_with_a_password_and_groups(
    admin_client: Client, client: Client
) -> None:
    general = factories.group("General")

    response = admin_client.post(
        reverse("admin:accounts_agent_add"),
        {
            "email": "New.Agent@Example.com",
            "name": "Вера",
            "role": "agent",
            "is_active": "on",
            "new_password": "a long enough password 1",
            "language": "ru",
            "time_zone": "Europe/Moscow",
            "membership_set-TOTAL_FORMS": "1",
            "membership_set-INITIAL_FORMS": "0",
            "membership_set-0-group": str(general.pk),
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    created = Agent.objects.get(email="new.agent@example.com")
    assert created.check_password("a long enough password 1")
    assert list(created.groups.all()) == [general]
    assert created.language == "ru"


def test_a_new_agent_needs_a_password_and_a_real_time_zone(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:accounts_agent_add"),
        {
            "email": "x@example.com",
            "role": "agent",
            "time_zone": "Mars/Olympus",
            "membership_set-TOTAL_FORMS": "0",
            "membership_set-INITIAL_FORMS": "0",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "A new agent needs a password." in html
    assert "Unknown time zone" in html
    assert not Agent.objects.filter(email="x@example.com").exists()


def test_changing_an_agent_keeps_the_password_unless_a_new_one_is_typed(
    admin_client: Client, agent: Agent
) -> None:
    url = reverse("admin:accounts_agent_change", args=[agent.pk])
    page = admin_client.get(url).content.decode()
    assert agent.password not in page

    form: dict[str, Any] = {
        "email": agent.email,
        "name": "Renamed",
        "role": "supervisor",
        "is_active": "on",
        "new_password": "",
        "language": "",
        "time_zone": "",
        "membership_set-TOTAL_FORMS": "0",
        "membership_set-INITIAL_FORMS": "0",
    }
    # The existing membership is part of the inline formset.
    membership = agent.membership_set.get()
    form.update(
        {
            "membership_set-TOTAL_FORMS": "1",
            "membership_set-INITIAL_FORMS": "1",
            "membership_set-0-id": str(membership.pk),
            "membership_set-0-agent": str(agent.pk),
            "membership_set-0-group": str(membership.group_id),
        }
    )
    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:3000]
    agent.refresh_from_db()
    assert agent.name == "Renamed"
    assert agent.role == "supervisor"
    assert agent.check_password("correct horse battery")


def test_api_tokens_are_listed_by_prefix_and_revoked_never_showing_the_hash(
    admin_client: Client, agent: Agent
) -> None:
    issued = token_create(agent=agent, name="CRM sync")

    listing = admin_client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    detail = admin_client.get(
        reverse("admin:accounts_apitoken_change", args=[issued.token.pk])
    ).content.decode()

    for html in (listing, detail):
        assert issued.token.prefix in html
        assert issued.token.token_hash not in html
        assert issued.plaintext not in html
    assert reverse("admin:accounts_apitoken_add") not in listing

    response = admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [str(issued.token.pk)]},
    )

    assert response.status_code == 302
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None


def test_customers_show_their_identities(admin_client: Client, account: ChannelAccount) -> None:
    customer = factories.conversation(
        account, identity=("email", "olga@example.com"), name="Ольга"
    ).ticket.requester

    listing = admin_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    detail = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    assert "olga@example.com" in listing
    assert "Ольга" in detail
    assert "olga@example.com" in detail


def test_tickets_are_read_only_and_found_by_number(
    admin_client: Client, account: ChannelAccount
) -> None:
    ticket = factories.conversation(account, text="Где заказ?").ticket
    factories.conversation(account, text="Something else")

    listing = admin_client.get(
        reverse("admin:tickets_ticket_changelist"), {"q": f"#{ticket.number}"}
    ).content.decode()
    detail = admin_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))

    assert "1 ticket" in listing
    assert detail.status_code == 200
    assert "Где заказ?" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_channel_secrets_are_masked_and_can_only_be_replaced(admin_client: Client) -> None:
    account, secret = factories.channel("api", settings={"callback_url": "https://crm.test/hook"})
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    html = admin_client.get(url).content.decode()

    assert secret not in html
    assert crypto.mask(secret) in html
    assert "https://crm.test/hook" in html
    assert account.secrets_encrypted not in html
    assert f"/api/v1/channels/api/{account.key}/messages" in html  # where to send messages

    form = {
        "name": account.name,
        "group": "",
        "setting_callback_url": "https://crm.test/v2",
        "is_active": "on",
        "setting_secret": "a-brand-new-inbound-secret",
    }
    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:3000]
    account.refresh_from_db()
    assert account.settings == {"callback_url": "https://crm.test/v2"}
    assert account.secrets["secret"] == "a-brand-new-inbound-secret"


def test_a_platform_channel_shows_its_webhook_address_and_no_secret(
    admin_client: Client, settings: Any
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    account, secret = factories.channel(
        "whatsapp", settings={"access_token": "EAAG-token-7777", "app_secret": "app-secret-8888",
                              "verify_token": "verify-9999", "phone_number_id": "106540352242922"},
    )  # fmt: skip
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])

    html = admin_client.get(url).content.decode()

    assert f"https://desk.example.com/api/v1/channels/whatsapp/{account.key}/webhook" in html
    assert "106540352242922" in html
    for value in (secret, "EAAG-token-7777", "app-secret-8888", "verify-9999"):
        assert value not in html


def test_failed_deliveries_are_visible_and_can_be_sent_again(
    admin_client: Client, agent: Agent, account: ChannelAccount, run_tasks: Any
) -> None:
    ticket = factories.conversation(account).ticket
    reply = reply_send(ticket=ticket, author=agent, text="Hello")
    run_tasks()
    delivery = Delivery.objects.get(message=reply)

    listing = admin_client.get(reverse("admin:unidesk_channels_delivery_changelist"))
    assert "This API channel has no callback_url" in listing.content.decode()

    admin_client.post(
        reverse("admin:unidesk_channels_delivery_changelist"),
        {"action": "retry", "_selected_action": [str(delivery.pk)]},
    )

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.QUEUED


def test_merges_suggestions_and_links_are_listed_read_only(admin_client: Client) -> None:
    from unidesk.core.actor import Actor
    from unidesk.crosschannel.models import MergeSuggestion
    from unidesk.tickets.services import customer_merge

    account, _ = factories.channel("api")
    one = factories.conversation(account, identity=("email", "one@example.com"), name="Один")
    two = factories.conversation(account, identity=("email", "two@example.com"), name="Два")
    MergeSuggestion.objects.create(
        customer=one.ticket.requester, candidate=two.ticket.requester, kind="email",
        value="two@example.com", written="TWO@example.com",
    )  # fmt: skip
    customer_merge(source=one.ticket.requester, target=two.ticket.requester, actor=Actor.system())

    merges = admin_client.get(reverse("admin:customers_customermerge_changelist"))
    suggestions = admin_client.get(reverse("admin:crosschannel_mergesuggestion_changelist"))
    links = admin_client.get(reverse("admin:crosschannel_ticketlink_changelist"))

    assert "identities: 1, tickets: 1, messages: 1" in merges.content.decode()
    assert "TWO@example.com" in suggestions.content.decode()
    assert links.status_code == 200
    assert 'href="/admin/customers/customermerge/add/"' not in merges.content.decode()
