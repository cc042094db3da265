"""Shared fixtures. Tests run against the database named by DATABASE_URL (SQLite when
unset) with real services; only outside platforms are replaced by local HTTP fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.automation.replies import forget_bot_channels, forget_setups
from unidesk.core import events
from unidesk.core.worker import Worker


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    settings.DEMO_OUTBOX_DIR = tmp_path / "demo-outbox"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_memos() -> Iterator[None]:
    """Per-process memos of the desk's setup must not outlive a test's database."""
    yield
    forget_setups()
    forget_bot_channels()
    # A request as a Russian-speaking agent leaves Russian active in this thread.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def run_tasks(db: None) -> Callable[[], int]:
    """Run every queued background task now, as a worker would; returns how many ran."""
    worker = Worker(worker_id="test-worker")
    return worker.drain


@pytest.fixture
def published() -> Iterator[list[events.Event]]:
    with events.recorded() as recorder:
        yield recorder


@pytest.fixture
def agent(db: None) -> Agent:
    return factories.agent(role="agent", groups=["General"])


@pytest.fixture
def supervisor(db: None) -> Agent:
    return factories.agent(role="supervisor")


@pytest.fixture
def api_client(db: None) -> Callable[[Agent], Client]:
    """A test client that authenticates as ``agent`` with a real API token."""

    def make(agent: Agent) -> Client:
        token = factories.api_token(agent)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make
