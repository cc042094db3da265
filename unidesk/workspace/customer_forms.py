"""Reading the forms of the "one customer" screens: merging customers and linking tickets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext as _

from unidesk.core.errors import ValidationFailed

_NUMBER = re.compile(r"^\s*#?\s*(\d{1,18})\s*$")


def parse_ticket_number(value: str | None, *, field: str = "other") -> int:
    """A ticket number as agents type it: ``1234`` or ``#1234``."""
    match = _NUMBER.match(value or "")
    if match is None:
        raise ValidationFailed(
            _("Enter a ticket number, such as #1234."), fields={field: "invalid"}
        )
    return int(match.group(1))


@dataclass(frozen=True)
class DuplicateChoice:
    original: int
    notify: bool


def parse_duplicate(data: QueryDict) -> DuplicateChoice:
    """Which ticket this one duplicates, and whether to tell the customer. An unchecked
    checkbox sends nothing, so ``notify`` is on only when the box was ticked."""
    return DuplicateChoice(
        original=parse_ticket_number(data.get("original"), field="original"),
        notify=data.get("notify") == "1",
    )
