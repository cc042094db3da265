"""Signed survey links and button data.

A link is ``/s/<survey id>.<signature>``: short enough for an SMS or a chat, and useless
to anyone who changes a character (the signature covers the survey's id and a random
nonce stored with it, under a key derived from the desk's secret key). A button's data is
``csat:<survey id>.<rating>.<signature>`` (Telegram allows 64 bytes of callback data), so a
press cannot be forged for another survey or another rating.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from django.conf import settings
from django.urls import reverse

from unidesk.core import crypto

BUTTON_PREFIX: Final = "csat:"
_LINK_SIGNATURE_LENGTH: Final = 22  # 132 bits
_BUTTON_SIGNATURE_LENGTH: Final = 12  # 72 bits; a press also comes from the customer's chat
_TOKEN = re.compile(r"^(\d{1,18})\.([A-Za-z0-9_-]{22})$")
_BUTTON = re.compile(r"^csat:(\d{1,18})\.(\d)\.([A-Za-z0-9_-]{12})$")


@lru_cache(maxsize=4)
def _key(secret_key: str, purpose: str) -> bytes:
    return hmac.new(
        secret_key.encode(), f"unidesk-csat:{purpose}".encode(), hashlib.sha256
    ).digest()


def _signature(purpose: str, message: str, length: int) -> str:
    digest = hmac.new(_key(settings.SECRET_KEY, purpose), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def new_nonce() -> str:
    return crypto.random_token(nbytes=12)


def link_token(survey_id: int, nonce: str) -> str:
    signature = _signature("link", f"{survey_id}:{nonce}", _LINK_SIGNATURE_LENGTH)
    return f"{survey_id}.{signature}"


def link_url(survey_id: int, nonce: str, *, rating: int | None = None) -> str:
    path = reverse("csat-survey", kwargs={"token": link_token(survey_id, nonce)})
    query = f"?r={rating}" if rating is not None else ""
    return f"{settings.BASE_URL}{path}{query}"


def button_data(survey_id: int, nonce: str, rating: int) -> str:
    signature = _signature("button", f"{survey_id}:{rating}:{nonce}", _BUTTON_SIGNATURE_LENGTH)
    return f"{BUTTON_PREFIX}{survey_id}.{rating}.{signature}"


@dataclass(frozen=True)
class SignedClaim:
    """What a link or button says before it is checked against the stored nonce."""

    survey_id: int
    signature: str
    rating: int | None = None

    def valid_for(self, nonce: str) -> bool:
        if self.rating is None:
            expected = link_token(self.survey_id, nonce).split(".", 1)[1]
        else:
            expected = button_data(self.survey_id, nonce, self.rating).rsplit(".", 1)[1]
        return crypto.constant_time_equals(self.signature, expected)


def read_link_token(token: str) -> SignedClaim | None:
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    return SignedClaim(survey_id=int(match.group(1)), signature=match.group(2))


def read_button_data(data: str) -> SignedClaim | None:
    match = _BUTTON.match(data or "")
    if match is None:
        return None
    return SignedClaim(
        survey_id=int(match.group(1)), rating=int(match.group(2)), signature=match.group(3)
    )


def is_survey_button(data: object) -> bool:
    return isinstance(data, str) and data.startswith(BUTTON_PREFIX)
