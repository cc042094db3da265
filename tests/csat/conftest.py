"""Channels of every kind with surveys switched on, and hand-built timelines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.channels.telegram.conftest import bot, telegram  # noqa: F401 (the fake Bot API)
from tests.reports.conftest import (  # noqa: F401 (fixtures shared with the reports tests)
    Timeline,
    billing,
    billing_agent,
    frozen,
    office_hours,
    support,
    support_agent,
)
from unidesk.accounts.models import Group
from unidesk.channels.models import ChannelAccount
from unidesk.core import crypto
from unidesk.csat.services import csat_policy_set


def connected(kind: str, group: Group, **policy: Any) -> ChannelAccount:
    """An inbox row of ``kind`` (no platform is called until something is delivered) with
    surveys on."""
    account = ChannelAccount(
        kind=kind,
        name=f"Shop {kind}",
        key=crypto.random_token(nbytes=9).replace("-", "x").replace("_", "y"),
        group=group,
    )
    account.set_secrets({"secret": "s"})
    account.save()
    csat_policy_set(account=account, enabled=policy.pop("enabled", True), **policy)
    return account


@pytest.fixture
def line(
    db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., Timeline]:
    def make(kind: str, group: Group, **policy: Any) -> Timeline:
        return Timeline(
            account=connected(kind, group, **policy), committed=django_capture_on_commit_callbacks
        )

    return make
