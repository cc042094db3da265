"""Which addresses belong to this desk's mailboxes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from unidesk.channels.email.headers import clean_email
from unidesk.channels.models import ChannelAccount


def addresses_of(settings: dict[str, Any]) -> set[str]:
    """A mailbox's address and its aliases, cleaned."""
    values = [str(settings.get("address", ""))]
    values += str(settings.get("aliases", "")).replace(";", ",").split(",")
    return {a for a in (clean_email(v) for v in values) if a}


def desk_addresses() -> frozenset[str]:
    """Every address of every mailbox (one small query; read once per incoming message)."""
    found: set[str] = set()
    for settings in ChannelAccount.objects.filter(kind="email").values_list("settings", flat=True):
        found |= addresses_of(settings)
    return frozenset(found)


def mailbox_for_recipient(
    recipient: str, accounts: Iterable[ChannelAccount] | None = None
) -> ChannelAccount | None:
    """The active mailbox that receives mail for ``recipient`` (its address or an alias)."""
    wanted = clean_email(recipient)
    if not wanted:
        return None
    candidates = (
        accounts
        if accounts is not None
        else ChannelAccount.objects.filter(kind="email", is_active=True).order_by("pk")
    )
    for account in candidates:
        if wanted in addresses_of(account.settings):
            return account
    return None


def mailbox_by_key_or_name(value: str) -> ChannelAccount | None:
    found = ChannelAccount.objects.filter(kind="email", key=value).first()
    if found is None:
        matches = list(ChannelAccount.objects.filter(kind="email", name=value)[:2])
        found = matches[0] if len(matches) == 1 else None
    return found
