"""The contract every registered channel adapter keeps, checked for all of them at once.

* its settings are declared, secrets among them, and platform adapters take ``api_base``;
* a webhook without credentials is refused (401/403, or 404 for channels that take none)
  and stores nothing; so is one signed with the wrong secret;
* ``parse_inbound`` is pure (no database, no network), deterministic, and turns garbage into
  ``InvalidPayload`` rather than any other exception;
* every platform has real payload fixtures and a fake; each fixture, signed as the platform
  signs it, is accepted, stored once, and acknowledged however often it is delivered.
"""

from __future__ import annotations

import importlib
import json
import socket
from types import ModuleType
from typing import Any

import pytest

from tests import factories
from tests.channels.support import HERE, fixture_bytes, fixture_names, post_webhook
from unidesk.channels import registry
from unidesk.channels.base import (
    DeliveryUpdate,
    InboundEdit,
    InboundMessage,
    InvalidPayload,
    OutboundEcho,
    WebhookRequest,
)
from unidesk.channels.models import InboundRecord
from unidesk.tickets.models import Ticket

# Platforms reached by webhook, and where their fake lives.
PLATFORMS = {
    "telegram": "tests.channels.telegram.fake",
    "whatsapp": "tests.channels.whatsapp.fake",
    "vk": "tests.channels.vk.fake",
    "facebook": "tests.channels.meta.fake",
    "instagram": "tests.channels.meta.fake",
    "phone": "tests.channels.phone.fake",
}
EXTRA_SETTINGS = {"instagram": {"ig_account_id": "17841405822304914"}}

KINDS = registry.registered_kinds()
FIXTURES = [(kind, name) for kind in PLATFORMS for name in fixture_names(kind)]


def fake_of(kind: str) -> ModuleType:
    return importlib.import_module(PLATFORMS[kind])


def settings_for(kind: str) -> dict[str, str]:
    if kind not in PLATFORMS:
        return {}
    return {**fake_of(kind).SETTINGS, **EXTRA_SETTINGS.get(kind, {})}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parse_inbound must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_platform_is_registered() -> None:
    assert set(PLATFORMS) <= set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_settings_are_declared(kind: str) -> None:
    adapter = registry.adapter_class(kind)
    assert adapter.secret_settings <= adapter.settings_names | {"secret"}
    if kind in PLATFORMS:
        assert "api_base" in adapter.settings_names


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_webhook_without_credentials_is_refused_and_nothing_stored(kind: str) -> None:
    account, _ = factories.channel(kind, settings=settings_for(kind))
    body = _unsigned_event(kind, account) if kind in PLATFORMS else b"{}"

    response = post_webhook(account, body, {})

    assert response.status_code in {401, 403, 404}
    assert response.json()["error"]["message"]
    assert InboundRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(PLATFORMS))
def test_a_webhook_signed_with_the_wrong_secret_is_refused_and_nothing_stored(
    kind: str, run_tasks: Any
) -> None:
    account, _ = factories.channel(kind, settings=settings_for(kind))
    forged = {name: f"forged-{value}" for name, value in account.secrets.items()}
    body, headers = fake_of(kind).signed(forged, _unsigned_event(kind, account))

    response = post_webhook(account, body, headers)
    run_tasks()

    assert response.status_code in {401, 403}
    assert response.json()["error"]["code"] in {"unauthenticated", "forbidden"}
    assert InboundRecord.objects.count() == 0
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_garbage_is_an_invalid_payload(kind: str, no_network: None) -> None:
    adapter = registry.adapter_class(kind)(_config(kind))
    for body in (b"", b"\x00\xff not json", b"[]", b'{"unexpected": true}'):
        request = WebhookRequest(method="POST", headers={}, query={}, body=body)
        try:
            events = adapter.parse_inbound(request)
        except InvalidPayload:
            continue
        assert events == [], f"{kind} made events out of {body!r}"


@pytest.mark.parametrize("kind", list(PLATFORMS))
def test_every_platform_has_fixtures_and_a_fake(kind: str) -> None:
    assert fixture_names(kind), f"add payloads under {HERE / kind / 'fixtures'}"
    fake = fake_of(kind)
    assert callable(fake.signed)
    assert isinstance(fake.SETTINGS, dict)


@pytest.mark.parametrize(("kind", "name"), FIXTURES)
def test_parsing_a_fixture_is_pure_and_deterministic(
    kind: str, name: str, no_network: None
) -> None:
    # No django_db mark: any query here fails the test, as any connection does.
    adapter = registry.adapter_class(kind)(_config(kind))
    request = WebhookRequest(method="POST", headers={}, query={}, body=fixture_bytes(kind, name))
    if name.startswith("invalid_"):
        with pytest.raises(InvalidPayload):
            adapter.parse_inbound(request)
        return
    if adapter.answer_now(request) is not None:
        return  # answered at once, never parsed (VK's confirmation)

    first = adapter.parse_inbound(request)
    second = adapter.parse_inbound(request)

    assert first == second
    assert adapter.delivery_id(request) == adapter.delivery_id(request)
    for event in first:
        assert isinstance(event, InboundMessage | DeliveryUpdate | InboundEdit | OutboundEcho)
        message = event.message if isinstance(event, InboundEdit) else event
        assert message.external_id
        if isinstance(message, InboundMessage):
            assert message.identity.value
            assert message.text or message.attachments


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "name"), FIXTURES)
def test_a_signed_fixture_is_stored_once_however_often_it_arrives(kind: str, name: str) -> None:
    account, _ = factories.channel(kind, settings=settings_for(kind))
    body, headers = fake_of(kind).signed(account.secrets, fixture_bytes(kind, name))

    first = post_webhook(account, body, headers)
    again = post_webhook(account, body, headers)

    assert first.status_code == 200
    assert again.status_code == 200
    assert first.content == again.content or b"duplicate" in again.content
    confirmation = adapter_answers_now(kind, account, body)
    assert InboundRecord.objects.count() == (0 if confirmation else 1)


def _with_nul(value: Any) -> Any:
    """Every string of a payload with a NUL character in it (kept valid JSON)."""
    if isinstance(value, str):
        return f"{value[:1]}\x00{value[1:]}"
    if isinstance(value, dict):
        return {k: _with_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_nul(v) for v in value]
    return value


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "name"), FIXTURES)
def test_nul_characters_anywhere_in_a_webhook_never_break_the_desk(
    kind: str, name: str, run_tasks: Any
) -> None:
    # PostgreSQL cannot store a NUL: a customer typing one must not cost a server error
    # nor leave an event that can never be processed.
    account, _ = factories.channel(kind, settings=settings_for(kind))
    event = json.loads(fixture_bytes(kind, name))
    body, headers = fake_of(kind).signed(account.secrets, json.dumps(_with_nul(event)).encode())

    response = post_webhook(account, body, headers)
    run_tasks()

    assert response.status_code < 500
    for record in InboundRecord.objects.all():
        # Files to fetch wait for a platform that is not running here: they stay pending,
        # to be tried again, but never for a reason of their own.
        assert record.state != "failed", record.error
        assert "NUL" not in record.error


def _unsigned_event(kind: str, account: Any) -> bytes:
    """A real event with whatever credentials it carries in the body taken out."""
    for name in fixture_names(kind):
        body = fixture_bytes(kind, name)
        if name.startswith("invalid_") or adapter_answers_now(kind, account, body):
            continue
        event = json.loads(body)
        if isinstance(event, dict):
            event.pop("secret", None)
        return json.dumps(event).encode()
    raise AssertionError(f"{kind} has no ordinary event fixture")


def adapter_answers_now(kind: str, account: Any, body: bytes) -> bool:
    adapter = registry.adapter_for(account)
    request = WebhookRequest(method="POST", headers={}, query={}, body=body)
    return adapter.answer_now(request) is not None


def _config(kind: str) -> Any:
    from unidesk.channels.base import ChannelConfig

    settings = settings_for(kind)
    adapter = registry.adapter_class(kind)
    return ChannelConfig(
        id=1,
        kind=kind,
        key="contract",
        name="contract",
        settings={k: v for k, v in settings.items() if k not in adapter.secret_settings},
        secrets={
            "secret": "s",
            **{k: v for k, v in settings.items() if k in adapter.secret_settings},
        },
        base_url="https://desk.example.com",
    )
