"""Every recorded platform payload with one field at a time replaced by something odd: a
value of another type, an empty string, a lone surrogate, a long string. The adapter
either reads it or says it cannot (``InvalidPayload``); what it reads can be stored.
A crash here would leave a delivery marked "unexpected error" instead of a message."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests import factories
from tests.channels.meta.fake import SETTINGS as META_SETTINGS
from tests.channels.support import HERE
from tests.channels.telegram.fake import SETTINGS as TELEGRAM_SETTINGS
from tests.channels.vk.fake import SETTINGS as VK_SETTINGS
from tests.channels.whatsapp.fake import SETTINGS as WHATSAPP_SETTINGS
from unidesk.channels import registry
from unidesk.channels.base import InvalidPayload, WebhookRequest
from unidesk.channels.webhooks import _HANDLERS
from unidesk.core.errors import DomainError

pytestmark = pytest.mark.django_db

# A closed port: the adapters here never reach the network (nothing is fetched).
NOWHERE = {"api_base": "http://127.0.0.1:9"}
PLATFORMS = {
    "telegram": {**TELEGRAM_SETTINGS, **NOWHERE},
    "whatsapp": {**WHATSAPP_SETTINGS, **NOWHERE},
    "vk": {**VK_SETTINGS, **NOWHERE},
    "facebook": {**META_SETTINGS, **NOWHERE},
    "instagram": {**META_SETTINGS, "ig_account_id": "17841405822304914", **NOWHERE},
    "phone": {},
}
ODD_TYPES: list[Any] = [None, [], {}, -1, 1.5, True]
ODD_TEXT = ["", "\ud800", "x" * 5000, "\u202e\u200b<script>alert(1)</script>", "../../etc"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


@pytest.mark.parametrize("kind", PLATFORMS)
def test_each_field_of_each_recorded_payload_may_hold_anything(kind: str) -> None:
    account, _ = factories.channel(kind, settings=PLATFORMS[kind])
    adapter = registry.adapter_for(account)
    crashes: list[str] = []
    for fixture in sorted((HERE / kind / "fixtures").glob("*.json")):
        document = json.loads(fixture.read_text())
        for path in list(_paths(document)):
            for value in [*ODD_TYPES, *ODD_TEXT]:
                body = json.dumps(_replaced(document, path, value)).encode()
                request = WebhookRequest(method="POST", headers={}, query={}, body=body)
                where = f"{fixture.name} {'.'.join(map(str, path))} = {value!r:.20}"
                try:
                    adapter.delivery_id(request)
                    adapter.acknowledge(request, duplicate=False)
                    events = adapter.parse_inbound(request)
                except InvalidPayload:
                    continue
                except Exception as exc:
                    crashes.append(f"{where}: {type(exc).__name__}: {exc}"[:200])
                    continue
                if not isinstance(value, str):
                    continue  # only text reaches the database changed
                for event in events:
                    try:
                        with transaction.atomic():
                            _HANDLERS[type(event)](account, event)
                    except DomainError:
                        pass  # refused with a reason (kept on the delivery): fine
                    except Exception as exc:
                        crashes.append(f"{where} stored: {type(exc).__name__}: {exc}"[:200])

    assert crashes == []
