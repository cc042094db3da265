import base64
import json

import pytest

from unidesk.core.errors import ValidationFailed
from unidesk.core.pagination import OrderKey, keyset_page
from unidesk.tickets.models import Ticket

KEYS = (OrderKey("updated_at"), OrderKey("id"))


def forged(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!!",
        forged({"a": 1}),
        forged(["2026-01-01T00:00:00+00:00"]),
        forged(["yesterday", 1]),
        forged(["2026-01-01T00:00:00", 1]),
        forged(["2026-01-01T00:00:00+00:00", "1"]),
        forged(["2026-01-01T00:00:00+00:00", 2**80]),
        forged(["2026-01-01T00:00:00+00:00", True]),
    ],
)
def test_a_tampered_cursor_is_refused_with_the_field_named(db: None, cursor: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        keyset_page(Ticket.objects.all(), keys=KEYS, cursor=cursor, limit=10)

    assert refused.value.fields == {"cursor": "invalid"}
