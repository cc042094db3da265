"""Leases: one worker at a time does a named job for one channel.

A lease is taken with one conditional UPDATE (free, expired, or already ours), so any
number of workers on any number of machines can race for it safely. A worker that dies
loses its lease when it expires."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from unidesk.channels.models import ChannelLease


def _row(account_id: int, name: str) -> None:
    if ChannelLease.objects.filter(channel_account_id=account_id, name=name).exists():
        return
    try:
        with transaction.atomic():
            ChannelLease.objects.create(channel_account_id=account_id, name=name)
    except IntegrityError:
        pass  # another worker created it first


def acquire(account_id: int, name: str, holder: str, duration: timedelta) -> bool:
    """Take (or extend) the lease; False when another live holder has it."""
    if _take(account_id, name, holder, duration):
        return True
    if ChannelLease.objects.filter(channel_account_id=account_id, name=name).exists():
        return False
    _row(account_id, name)
    return _take(account_id, name, holder, duration)


def _take(account_id: int, name: str, holder: str, duration: timedelta) -> bool:
    now = timezone.now()
    taken = ChannelLease.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(holder=holder),
        channel_account_id=account_id,
        name=name,
    ).update(holder=holder, lease_until=now + duration, updated_at=now)
    return taken == 1


def release(account_id: int, name: str, holder: str) -> None:
    ChannelLease.objects.filter(channel_account_id=account_id, name=name, holder=holder).update(
        holder="", lease_until=None, updated_at=timezone.now()
    )


def cursor(account_id: int, name: str) -> str:
    value = (
        ChannelLease.objects.filter(channel_account_id=account_id, name=name)
        .values_list("cursor", flat=True)
        .first()
    )
    return value or ""


def save_cursor(account_id: int, name: str, holder: str, value: str, *, error: str = "") -> bool:
    """Store the cursor, only while still holding the lease (a worker whose lease ran out
    must not move the cursor under its successor)."""
    updated = ChannelLease.objects.filter(
        channel_account_id=account_id, name=name, holder=holder
    ).update(cursor=value[:64], last_error=error[:2000], updated_at=timezone.now())
    return updated == 1


def record_error(account_id: int, name: str, error: str) -> None:
    ChannelLease.objects.filter(channel_account_id=account_id, name=name).update(
        last_error=error[:2000], updated_at=timezone.now()
    )
