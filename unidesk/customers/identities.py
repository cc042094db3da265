"""Normalising identity values so the same address is always spelled the same way."""

from __future__ import annotations

import re

from unidesk.core.errors import ValidationFailed
from unidesk.customers.models import IdentityKind

_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_MAX_VALUE = 320


def normalize_identity(kind: str, value: str) -> str:
    """Return the canonical value, or raise ValidationFailed naming what is wrong."""
    if kind not in IdentityKind.values:
        raise ValidationFailed(
            f"Unknown identity kind {kind!r}.", fields={"identity.kind": "invalid"}
        )
    cleaned = "".join(ch for ch in (value or "") if ch.isprintable()).strip()
    if not cleaned:
        raise ValidationFailed("The identity value is empty.", fields={"identity.value": "empty"})
    if len(cleaned) > _MAX_VALUE:
        raise ValidationFailed(
            f"The identity value is longer than {_MAX_VALUE} characters.",
            fields={"identity.value": "too_long"},
        )
    if kind == IdentityKind.EMAIL:
        return _normalize_email(cleaned)
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        return _normalize_phone(cleaned)
    return cleaned


def _normalize_email(value: str) -> str:
    value = value.strip("<>").strip()
    if not _EMAIL.match(value):
        raise ValidationFailed(
            f"{value!r} is not an email address.", fields={"identity.value": "invalid_email"}
        )
    local, _, domain = value.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = domain.lower()
    return f"{local}@{domain}".lower()


def _normalize_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not 5 <= len(digits) <= 15:
        raise ValidationFailed(
            f"{value!r} is not a phone number.", fields={"identity.value": "invalid_phone"}
        )
    return f"+{digits}"
