"""Web chat test helpers."""

from __future__ import annotations

from typing import Any

from tests import factories
from unidesk.channels.base import IdentityRef, InboundMessage
from unidesk.channels.ingest import IngestResult, ingest
from unidesk.channels.models import ChannelAccount


def visitor_says(account: ChannelAccount, text: str, *, visitor: str = "v1", language: str = "en",
                 **extra: Any) -> IngestResult:  # fmt: skip
    """A web chat visitor's message, as the widget's connection hands it to ingestion."""
    return ingest(
        account,
        InboundMessage(
            external_id=factories.unique(f"{visitor}:"),
            identity=IdentityRef("webchat", f"visitor-{visitor}"),
            text=text,
            thread_key=f"v:{visitor}",
            metadata={"webchat": {"language": language}, **extra},
        ),
    )
