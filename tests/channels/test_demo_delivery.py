"""The demo transport is chosen by the demo's own setting only: real channels deliver (or
fail) as before, and no channel can be given the setting from outside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.channels.email.support import customer_mail, mailbox, post_raw
from unidesk.channels import outbox
from unidesk.channels.models import Delivery, DeliveryState
from unidesk.channels.services import reply_send
from unidesk.core.errors import ValidationFailed
from unidesk.tickets.models import DeliveryStatus, Ticket

pytestmark = pytest.mark.django_db


def test_a_real_mailbox_without_smtp_still_fails_with_its_reason(settings: Any, run_tasks) -> None:
    account = mailbox(acknowledge="off")
    post_raw(account, customer_mail())
    run_tasks()
    ticket = Ticket.objects.get()
    agent = factories.agent(role="admin")

    reply = reply_send(ticket=ticket, author=agent, text="Your parcel left today.")
    outbox.deliver_now(Delivery.objects.get(message=reply).pk)

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "SMTP" in reply.delivery_error
    assert "demo_delivery" not in reply.metadata
    assert Delivery.objects.get(message=reply).state == DeliveryState.FAILED
    assert not Path(settings.DEMO_OUTBOX_DIR).exists()


def test_channel_add_refuses_the_demo_setting() -> None:
    with pytest.raises(ValidationFailed) as refused:
        factories.channel("email", settings={"address": "a@shop.example", "demo_delivery": "on"})

    assert "demo_delivery" in refused.value.fields


def _edit(client: Client, account: Any, **posted: str) -> HttpResponse:
    url = reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])
    form = {"name": account.name, "group": "", "is_active": "on", "setting_bot_token": ""}
    return client.post(url, {**form, **posted})


def test_the_administration_gives_no_channel_the_demo_setting(admin_client: Client) -> None:
    account, _secret = factories.channel("telegram", settings={"bot_token": "1:abc"})

    page = admin_client.get(
        reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])
    ).content.decode()
    ignored = _edit(admin_client, account, other_settings='{"demo_delivery": "on"}')

    assert "demo_delivery" not in page
    assert ignored.status_code == 302
    account.refresh_from_db()
    assert "demo_delivery" not in account.settings


def test_a_demo_channel_keeps_its_setting_when_edited_and_may_drop_it(
    admin_client: Client,
) -> None:
    account, _secret = factories.channel("telegram", settings={"bot_token": "1:abc"})
    account.settings = {**account.settings, "demo_delivery": "on"}
    account.save(update_fields=["settings"])

    kept = _edit(admin_client, account, other_settings='{"demo_delivery": "on"}')
    account.refresh_from_db()
    assert kept.status_code == 302
    assert account.settings.get("demo_delivery") == "on"

    dropped = _edit(admin_client, account, other_settings="{}")
    account.refresh_from_db()
    assert dropped.status_code == 302
    assert "demo_delivery" not in account.settings
