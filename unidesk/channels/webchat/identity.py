"""Who a visitor is: the token a browser keeps, and identities a site vouches for.

*Visitor tokens* are signed with the desk's secret key and name the channel and a random
visitor id; they need no database row, and a token from another channel is worthless.
Whoever holds a token reads that conversation, so the widget keeps it in the site's own
storage only.

*Signed identities* let a site that knows its user say so: it passes the user's id and/or
email with ``signature = hex(HMAC-SHA256(channel secret, user_id + "\\n" + email))``
(absent parts are empty strings). A wrong or missing signature is refused, never trusted.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

from unidesk.core import crypto
from unidesk.core.errors import PermissionDenied, ValidationFailed
from unidesk.customers.identities import normalize_identity
from unidesk.customers.models import IdentityKind

_SALT = "unidesk.webchat.visitor"
_PUBLIC_ID = re.compile(r"^[0-9a-f]{20}$")
MAX_USER_ID = 200


def new_public_id() -> str:
    return secrets.token_hex(10)


def token_for(channel_key: str, public_id: str) -> str:
    return signing.Signer(salt=_SALT).sign(f"{channel_key}.{public_id}")


def public_id_from(token: Any, channel_key: str) -> str | None:
    """The visitor id in ``token`` if it is genuine and belongs to this channel."""
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        return None
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None
    key, _sep, public_id = value.rpartition(".")
    if key != channel_key or not _PUBLIC_ID.match(public_id):
        return None
    return public_id


@dataclass(frozen=True)
class SiteIdentity:
    """A visitor as their site vouched for them."""

    user_id: str = ""
    email: str = ""
    name: str = ""

    def thread_key(self, namespace: str) -> str:
        if self.user_id:
            return f"u:{namespace}:{self.user_id}"
        return f"e:{self.email}"

    def primary(self, namespace: str) -> tuple[str, str]:
        """The identity conversations run under: the site's user id, else the email."""
        if self.user_id:
            return IdentityKind.WEBCHAT, f"user:{namespace}:{self.user_id}"
        return IdentityKind.EMAIL, self.email


def signature_for(secret: str, user_id: str, email: str) -> str:
    return crypto.hmac_sha256_hex(secret, f"{user_id}\n{email}".encode())


def _printable(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationFailed(_("The identity is not understood."), code="identity_invalid")
    text = str(value)
    if len(text) > limit or any(not ch.isprintable() for ch in text):
        raise ValidationFailed(_("The identity is not understood."), code="identity_invalid")
    return text


def verified_identity(raw: Any, *, secret: str) -> SiteIdentity:
    """Check a site's identity claim; raises ``PermissionDenied`` (code
    ``identity_refused``) when the signature is missing or wrong."""
    if not isinstance(raw, dict):
        raise ValidationFailed(_("The identity is not understood."), code="identity_invalid")
    user_id = _printable(raw.get("user_id"), MAX_USER_ID).strip()
    email = _printable(raw.get("email"), 320).strip()
    name = _printable(raw.get("name"), 200).strip()
    signature = raw.get("signature")
    if not user_id and not email:
        raise ValidationFailed(
            _("A signed identity needs a user id or an email."), code="identity_invalid"
        )
    expected = signature_for(secret, user_id, email)
    if (
        not isinstance(signature, str)
        or not secret
        or not crypto.constant_time_equals(signature.strip().lower(), expected)
    ):
        raise PermissionDenied(
            _("The identity is not signed by this site, so the chat cannot trust it."),
            code="identity_refused",
        )
    if email:
        email = normalize_identity(IdentityKind.EMAIL, email)
    return SiteIdentity(user_id=user_id, email=email, name=name)
