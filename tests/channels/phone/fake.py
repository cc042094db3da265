"""A fake telephony system: it reports calls to unidesk the way a PBX integration does,
signed with the channel secret (or with the secret as a bearer token). The phone channel
calls nothing back, so there is no platform API to fake."""

from __future__ import annotations

import time

from unidesk.channels.phone.adapter import signature_header

SETTINGS: dict[str, str] = {}


def signed_headers(secrets: dict[str, str], body: bytes) -> dict[str, str]:
    return {"X-Unidesk-Signature": signature_header(secrets["secret"], body, int(time.time()))}


def signed(secrets: dict[str, str], body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(secrets, body)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
