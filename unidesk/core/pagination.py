"""Keyset (cursor) pagination: stays fast on the millionth row, unlike OFFSET."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from unidesk.core.errors import ValidationFailed
from unidesk.core.inputs import loads_untrusted

T = TypeVar("T", bound=Model)


@dataclass(frozen=True)
class OrderKey:
    field: str
    descending: bool = True

    @property
    def order_by(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_INTEGER_FIELDS = {
    "BigAutoField", "AutoField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
    "IntegerField", "BigIntegerField", "PositiveIntegerField", "SmallIntegerField",
}  # fmt: skip
_INT64 = 2**63


def _decode_value(internal_type: str, value: Any) -> Any:
    if internal_type == "DateTimeField":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment
    if internal_type in _INTEGER_FIELDS and (
        not isinstance(value, int) or isinstance(value, bool) or not -_INT64 <= value < _INT64
    ):
        raise ValueError("not an integer")
    return value


def _decode(cursor: str, keys: Sequence[OrderKey], model: type[Model]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = loads_untrusted(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("shape")
        return [
            _decode_value(model._meta.get_field(key.field).get_internal_type(), value)
            for key, value in zip(keys, values, strict=True)
        ]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid; pass back the `next` value of the previous page.",
            fields={"cursor": "invalid"},
        ) from exc


def _after(keys: Sequence[OrderKey], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the given order (lexicographic comparison)."""
    condition = Q()
    for index in range(len(keys) - 1, -1, -1):
        key = keys[index]
        op = "lt" if key.descending else "gt"
        step = Q(**{f"{key.field}__{op}": values[index]})
        if index < len(keys) - 1:
            step |= Q(**{key.field: values[index]}) & condition
        condition = step
    return condition


def keyset_page(
    queryset: QuerySet[T], *, keys: Sequence[OrderKey], cursor: str | None, limit: int
) -> Page[T]:
    if cursor:
        queryset = queryset.filter(_after(keys, _decode(cursor, keys, queryset.model)))
    rows = list(queryset.order_by(*(k.order_by for k in keys))[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = _encode([getattr(last, k.field) for k in keys])
    return Page(items=rows, next=next_cursor)
