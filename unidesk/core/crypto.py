"""Secrets at rest and signatures.

Channel secrets (bot tokens, app secrets, SMTP passwords) are encrypted with a key derived
from SECRET_KEY, so a copied database alone does not leak them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"unidesk-at-rest", info=b"channel-secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_json(data: dict[str, Any]) -> str:
    if not data:
        return ""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return _fernet(settings.SECRET_KEY).encrypt(raw).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        raw = _fernet(settings.SECRET_KEY).decrypt(token.encode())
    except InvalidToken as exc:
        raise ValueError(
            "stored secrets cannot be decrypted: was UNIDESK_SECRET_KEY changed?"
        ) from exc
    result: dict[str, Any] = json.loads(raw)
    return result


def random_token(prefix: str = "", nbytes: int = 32) -> str:
    return f"{prefix}{secrets.token_urlsafe(nbytes)}"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hmac_sha256_hex(key: str | bytes, message: bytes) -> str:
    key_bytes = key.encode() if isinstance(key, str) else key
    return hmac.new(key_bytes, message, hashlib.sha256).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def mask(secret: str) -> str:
    """What a settings screen may show of a secret: enough to recognise, not to use."""
    if not secret:
        return ""
    if len(secret) <= 8:
        return "••••"
    return f"{secret[:3]}••••{secret[-2:]}"
