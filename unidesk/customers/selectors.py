"""Reads for customers."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet

from unidesk.core.errors import ValidationFailed
from unidesk.customers.identities import normalize_identity
from unidesk.customers.models import Customer, Identity


def customer_by_identity(kind: str, value: str) -> Customer | None:
    identity = Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
    return identity.customer if identity else None


def customers_with_identities() -> QuerySet[Customer]:
    return Customer.objects.filter(merged_into=None).prefetch_related("identities")


def identities_found(refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Identity | None]:
    """Many identities in one query: for each usable (kind, value) its normalised key and
    the stored identity with its customer, or None when nobody has it yet. Values that
    cannot be an identity are left out (the caller meets the error one by one)."""
    keys: set[tuple[str, str]] = set()
    for kind, value in refs:
        try:
            keys.add((kind, normalize_identity(kind, value)))
        except ValidationFailed:
            continue
    found: dict[tuple[str, str], Identity | None] = dict.fromkeys(keys)
    if not keys:
        return found
    wanted = Q()
    for kind in {kind for kind, _ in keys}:
        wanted |= Q(kind=kind, value__in=[value for k, value in keys if k == kind])
    identities = Identity.objects.select_related("customer").filter(wanted)
    if transaction.get_connection().in_atomic_block:
        # Locked as ``customers.services.customer_for_identity`` locks one: a merge waits.
        identities = identities.select_for_update(of=("self",))
    for identity in identities:
        found[(identity.kind, identity.value)] = identity
    return found
