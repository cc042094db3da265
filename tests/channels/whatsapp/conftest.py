from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from tests import factories
from tests.channels.whatsapp.fake import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
)
from unidesk.channels.models import ChannelAccount


@pytest.fixture
def graph() -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp().running() as fake:
        yield fake


@pytest.fixture
def number(graph: FakeWhatsApp, db: None) -> ChannelAccount:
    account, _ = factories.channel(
        "whatsapp",
        settings={
            "access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
            "phone_number_id": PHONE_NUMBER_ID, "api_base": graph.url,
            "templates": '[{"name": "order_update", "language": "ru", '
                         '"text": "Здравствуйте! Статус заказа {{1}}: {{2}}."}, '
                         '{"name": "hello_world", "language": "en_US"}]',
        },
    )  # fmt: skip
    return account


# The fixtures were written on 2026-01-01 at 10:00 UTC; tests happen half an hour later,
# inside the 24-hour window, unless they travel on.
FIXTURE_TIME = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _half_an_hour_after_the_fixtures() -> Iterator[None]:
    with time_machine.travel(FIXTURE_TIME, tick=True):
        yield
