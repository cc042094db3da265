"""Messages in the shape the widget draws them (no database: the adapter builds a reply's
from the outbound message, the selectors a stored message's)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def buttons(raw: Any) -> list[list[dict[str, str]]]:
    """Rows of quick-reply buttons ({"text", "data"}) and links ({"text", "url"});
    anything else is left out."""
    rows: list[list[dict[str, str]]] = []
    if not isinstance(raw, list):
        return rows
    for row in raw[:10]:
        cells = row if isinstance(row, list) else [row]
        kept = []
        for cell in cells[:8]:
            if not isinstance(cell, dict) or not str(cell.get("text", "")).strip():
                continue
            text = str(cell["text"])[:80]
            url = str(cell.get("url", ""))
            if url.startswith(("https://", "http://")):
                kept.append({"text": text, "url": url[:2000]})
            elif cell.get("data") is not None:
                kept.append({"text": text, "data": str(cell["data"])[:200]})
        if kept:
            rows.append(kept)
    return rows


def reply_payload(
    *,
    message_id: int,
    text: str,
    created_at: datetime | None,
    origin: str,
    author: str,
    status: str,
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A message to the visitor (an agent's reply, the bot, an automatic reply)."""
    payload: dict[str, Any] = {
        "id": message_id,
        "dir": "out",
        "text": text,
        "at": created_at.isoformat() if created_at else None,
        "origin": origin,
        "author": author,
        "status": status,
    }
    metadata = metadata or {}
    rows = buttons(metadata.get("buttons"))
    if rows:
        payload["buttons"] = rows
    if metadata.get("ask_email"):
        payload["ask_email"] = True
    return payload
