from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from unidesk.demo import loader


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the module's demo stores its attachments (tests point MEDIA_ROOT here to read
    them; by default each test gets an empty one)."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="module")
def demo(
    django_db_setup: None, django_db_blocker: Any, demo_media: Path
) -> Iterator[loader.DemoSummary]:
    """The demo desk, loaded once per module inside a transaction that is rolled back
    afterwards; each test still runs in its own savepoint (request ``db``)."""
    with (
        override_settings(MEDIA_ROOT=demo_media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        summary = loader.load()
        assert summary is not None
        yield summary
        transaction.set_rollback(True)
