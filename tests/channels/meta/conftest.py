from collections.abc import Iterator

import pytest

from tests import factories
from tests.channels.meta.fake import (
    APP_ID,
    APP_SECRET,
    IG_ACCOUNT_ID,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    FakeMeta,
)
from unidesk.channels.models import ChannelAccount


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    with FakeMeta().running() as fake:
        yield fake


def _settings(meta: FakeMeta) -> dict[str, str]:
    return {
        "page_access_token": PAGE_TOKEN, "app_secret": APP_SECRET, "app_id": APP_ID,
        "verify_token": VERIFY_TOKEN, "page_id": PAGE_ID, "api_base": meta.url,
    }  # fmt: skip


@pytest.fixture
def page(meta: FakeMeta, db: None) -> ChannelAccount:
    return factories.channel("facebook", settings=_settings(meta))[0]


@pytest.fixture
def instagram(meta: FakeMeta, db: None) -> ChannelAccount:
    settings = {**_settings(meta), "ig_account_id": IG_ACCOUNT_ID}
    return factories.channel("instagram", settings=settings)[0]
