from collections.abc import Iterator

import pytest

from tests.support.smtp import SmtpSink, smtp_sink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running
