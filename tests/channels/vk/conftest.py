from collections.abc import Iterator

import pytest

from tests import factories
from tests.channels.vk.fake import ACCESS_TOKEN, CONFIRMATION, GROUP_ID, SECRET, FakeVk
from unidesk.channels.models import ChannelAccount


@pytest.fixture
def vk() -> Iterator[FakeVk]:
    with FakeVk().running() as fake:
        yield fake


@pytest.fixture
def community(vk: FakeVk, db: None) -> ChannelAccount:
    account, _ = factories.channel(
        "vk",
        settings={"access_token": ACCESS_TOKEN, "group_id": GROUP_ID, "secret": SECRET,
                  "confirmation": CONFIRMATION, "api_base": vk.url},
    )  # fmt: skip
    return account
