from collections.abc import Iterator

import pytest

from tests import factories
from tests.channels.telegram.fake import SECRET_TOKEN, TOKEN, FakeTelegram
from unidesk.channels.models import ChannelAccount


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake


@pytest.fixture
def bot(telegram: FakeTelegram, db: None) -> ChannelAccount:
    account, _ = factories.channel(
        "telegram",
        group_name="Support",
        settings={"bot_token": TOKEN, "secret_token": SECRET_TOKEN, "api_base": telegram.url,
                  "mode": "webhook"},
    )  # fmt: skip
    return account
