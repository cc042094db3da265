"""Input that the database cannot store: NUL characters.

PostgreSQL refuses a NUL (``\\x00``) in text and in ``jsonb``, so a NUL anywhere in a
query, a form or a JSON body would end in a server error — or, in a webhook processed
later, in a message that can never be stored. A NUL never carries meaning in what people
or platforms send us, so it is taken out at the edges: request parameters and bodies
(``core.middleware``, the API's parser) and the values adapters build
(``channels.base``)."""

from __future__ import annotations

from typing import TypeVar

from django.http import QueryDict

T = TypeVar("T")


def without_nul(value: T) -> T:
    """``value`` with NUL characters removed from every string in it (dicts, lists and
    tuples are copied; other values are returned as they are)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value  # type: ignore[return-value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [without_nul(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(without_nul(item) for item in value)  # type: ignore[return-value]
    return value


def querydict_without_nul(data: QueryDict) -> QueryDict:
    """A copy of ``data`` without NULs, or ``data`` itself when it has none."""
    if not any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists()):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(without_nul(key), [without_nul(v) for v in values])
    cleaned._mutable = False
    return cleaned
