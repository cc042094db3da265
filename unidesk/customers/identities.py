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
    if kind == IdentityKind.PHONE:
        return _normalize_phone(cleaned, national_trunk=True)
    if kind == IdentityKind.WHATSAPP:
        # WhatsApp ids are always international numbers without the "+".
        return _normalize_phone(cleaned, national_trunk=False)
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


def canonical_phone(value: str, *, national_trunk: bool = True) -> str | None:
    """``+`` and the digits of an international number, or None when ``value`` cannot be
    one (fewer than 5 or more than 15 digits, E.164's limits).

    With ``national_trunk``, a number written the Russian domestic way — eleven digits
    starting with the trunk prefix 8 and no ``+`` (``8 912 345-67-89``) — is the same
    number as ``+7 912 345-67-89``. A number written with ``+`` or the international
    prefix ``00`` is taken as it is."""
    value = value.strip()
    digits = re.sub(r"[^0-9]", "", value)
    if value.startswith("00") and not value.startswith("+"):
        digits = digits[2:]
    elif national_trunk and not value.startswith("+") and len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if not 5 <= len(digits) <= 15:
        return None
    return f"+{digits}"


def _normalize_phone(value: str, *, national_trunk: bool) -> str:
    phone = canonical_phone(value, national_trunk=national_trunk)
    if phone is None:
        raise ValidationFailed(
            f"{value!r} is not a phone number.", fields={"identity.value": "invalid_phone"}
        )
    return phone
