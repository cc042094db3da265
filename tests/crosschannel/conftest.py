"""A desk where one person writes through several channels: a Telegram bot (a fake Bot API
over real HTTP) and the API channel with a callback, both in the General group."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import factories
from tests.channels.telegram.fake import SECRET_TOKEN, TOKEN, FakeTelegram
from tests.support.http import FakeServer, fake_server
from unidesk.channels.models import ChannelAccount


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake


@pytest.fixture
def bot(telegram: FakeTelegram, db: None) -> ChannelAccount:
    account, _ = factories.channel(
        "telegram",
        group_name="General",
        settings={"bot_token": TOKEN, "secret_token": SECRET_TOKEN, "api_base": telegram.url,
                  "mode": "webhook"},
    )  # fmt: skip
    return account


@pytest.fixture
def callback() -> Iterator[FakeServer]:
    with fake_server() as server:
        yield server


@pytest.fixture
def site(callback: FakeServer, db: None) -> ChannelAccount:
    """The shop's own system feeding conversations through the API channel."""
    account, _ = factories.channel(
        "api", group_name="General", settings={"callback_url": callback.url + "/replies"}
    )
    return account
