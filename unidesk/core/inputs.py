"""Input that the database cannot store (NUL characters, lone surrogates) and JSON that
the standard parser cannot read safely (nesting deep enough to exhaust the stack).

PostgreSQL refuses a NUL (``\\x00``) in text and in ``jsonb``, so a NUL anywhere in a
query, a form or a JSON body would end in a server error — or, in a webhook processed
later, in a message that can never be stored. A NUL never carries meaning in what people
or platforms send us, so it is taken out at the edges: request parameters and bodies
(``core.middleware``, the API's parser) and the values adapters build
(``channels.base``)."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from django.http import QueryDict

T = TypeVar("T")

# The largest id a row can have (a signed 64-bit integer). A larger number in a filter is
# not an id at all, and some lookups would fail on it rather than find nothing.
MAX_ID = 2**63 - 1

# A UTF-16 surrogate on its own: JSON may spell one ("\\ud800"), and the email parser keeps
# undecodable bytes as such, but neither the database driver nor UTF-8 can encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: str) -> bool:
    return _LONE_SURROGATE.search(value) is not None


def storable_text(value: str) -> str:
    """``value`` without NULs and with each lone surrogate replaced by U+FFFD, the
    replacement character a reader sees for text that could not be decoded."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if has_lone_surrogate(value):
        value = _LONE_SURROGATE.sub("\ufffd", value)
    return value


def storable(value: T) -> T:
    """``value`` with every string in it made ``storable_text`` (dicts, lists and tuples
    are copied; other values are returned as they are)."""
    if isinstance(value, str):
        return storable_text(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [storable(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(storable(item) for item in value)  # type: ignore[return-value]
    return value


def first_lone_surrogate(value: object, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path (keys and list indexes) of the first string in ``value`` holding a lone
    surrogate, or None when there is none."""
    if isinstance(value, str):
        return path if has_lone_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and has_lone_surrogate(key):
                return (*path, storable_text(key))
            found = first_lone_surrogate(item, (*path, str(key)))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = first_lone_surrogate(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def loads_untrusted(raw: str | bytes | bytearray) -> Any:
    """``json.loads`` for input from outside. Raises ValueError for anything that is not
    JSON, including nesting deep enough to make the parser itself give up (for which
    ``json`` raises RecursionError, which no caller expects)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("The JSON is nested too deeply.") from None


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
