"""A desk with working hours (Mon–Fri 09:00–18:00 Moscow), a web chat and an API channel
whose conversations land in its General group."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from unidesk.accounts.models import BusinessHours, Group
from unidesk.automation.replies import forget_bot_channels
from unidesk.channels.models import ChannelAccount

MOSCOW = ZoneInfo("Europe/Moscow")
# Monday 2 March 2026, 11:00 in Moscow: the team is at work.
WORKING = datetime(2026, 3, 2, 11, 0, tzinfo=MOSCOW)
# Saturday 7 March 2026, 11:00 in Moscow: a day off.
SATURDAY = datetime(2026, 3, 7, 11, 0, tzinfo=MOSCOW)


@pytest.fixture
def general(db: None) -> Group:
    group = factories.group("General")
    group.business_hours = BusinessHours.objects.create(
        name="Office",
        time_zone="Europe/Moscow",
        weekly={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    group.first_reply_target_minutes = 60
    group.save()
    return group


@pytest.fixture
def chat(general: Group) -> ChannelAccount:
    return factories.channel("webchat", name="Shop chat", group_name="General")[0]


@pytest.fixture
def api(general: Group) -> ChannelAccount:
    return factories.channel("api", name="Shop app", group_name="General")[0]


@pytest.fixture(autouse=True)
def _forget_bots() -> Any:
    """The memo of channels with bots must not outlive a test's database."""
    yield
    forget_bot_channels()
