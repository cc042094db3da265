"""Writes for customers and identities. Merging, which also moves tickets, lives in
``tickets.services.customer_merge``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, transaction

from unidesk.core import clock
from unidesk.core.errors import Conflict, ValidationFailed
from unidesk.core.text import one_line
from unidesk.customers.identities import normalize_identity
from unidesk.customers.models import Customer, Identity


@dataclass(frozen=True)
class IdentifiedCustomer:
    customer: Customer
    identity: Identity
    created: bool


class NotLookedUp:
    """``customer_for_identity`` looks the identity up itself."""


LOOK_UP: Final = NotLookedUp()


def customer_for_identity(
    *, kind: str, value: str, name: str = "", known: Identity | NotLookedUp | None = LOOK_UP
) -> IdentifiedCustomer:
    """Find the customer who owns this identity, or create both.

    ``known`` is the answer of a lookup already made in this transaction for many messages
    at once (``customers.selectors.identities_found``): the identity, or None for nobody.

    Safe under concurrency: two deliveries racing to create the same identity end with one
    customer (the loser of the unique constraint reads the winner's row)."""
    value = normalize_identity(kind, value)
    name = one_line(name, 200)
    if isinstance(known, NotLookedUp):
        found = Identity.objects.select_related("customer").filter(kind=kind, value=value)
        if transaction.get_connection().in_atomic_block:
            # Lock the identity so that a merge moving it to another customer either waits
            # for this transaction or has finished before it (``tickets.services.
            # customer_merge``): a message is never filed under a customer that has just been
            # merged away. When the wait ends in a moved identity, PostgreSQL drops the row
            # here and the creation below runs into the unique constraint and reads the
            # moved identity.
            found = found.select_for_update(of=("self",))
        identity = found.first()
    else:
        # Looked up, and locked the same way, for a whole batch (``identities_found``).
        identity = known
    if identity is not None:
        if identity.customer.pk != identity.customer_id:
            # Re-checked after the wait, the identity row is the moved one but the joined
            # customer the one it was moved away from: read the customer it belongs to.
            identity.customer = Customer.objects.get(pk=identity.customer_id)
        customer = identity.customer
        if name and not customer.name:
            customer.name = name
            customer.save(update_fields=["name"])
        return IdentifiedCustomer(customer=customer, identity=identity, created=False)
    now = clock.now()
    in_batch = not isinstance(known, NotLookedUp)
    try:
        # A batch (``known`` given) holds a savepoint per message and answers a lost race
        # by ingesting that message again; one more savepoint here would cost two round
        # trips for every new customer.
        with transaction.atomic(savepoint=not in_batch):
            customer = Customer.objects.create(name=name, created_at=now, updated_at=now)
            identity = Identity.objects.create(
                customer=customer, kind=kind, value=value, created_at=now
            )
    except IntegrityError:
        if in_batch:
            # No savepoint of our own to read the winner's row after: the batch answers
            # this by ingesting the message again on its own.
            raise
        identity = Identity.objects.select_related("customer").get(kind=kind, value=value)
        return IdentifiedCustomer(customer=identity.customer, identity=identity, created=False)
    return IdentifiedCustomer(customer=customer, identity=identity, created=True)


def customer_create(*, name: str, identities: list[tuple[str, str]]) -> Customer:
    with transaction.atomic():
        customer = Customer.objects.create(name=one_line(name, 200))
        for kind, value in identities:
            identity_add(customer=customer, kind=kind, value=value)
    return customer


def identity_add(*, customer: Customer, kind: str, value: str, verified: bool = False) -> Identity:
    value = normalize_identity(kind, value)
    existing = Identity.objects.filter(kind=kind, value=value).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise Conflict(
            f"{kind} {value} already belongs to another customer; merge the two instead.",
            fields={"identity": "taken"},
        )
    return Identity.objects.create(customer=customer, kind=kind, value=value, verified=verified)


def customer_update(
    *, customer: Customer, name: str | None = None, note: str | None = None
) -> Customer:
    fields = []
    if name is not None:
        customer.name = one_line(name, 200)
        fields.append("name")
    if note is not None:
        if len(note) > 10_000:
            raise ValidationFailed("The note is too long.", fields={"note": "too_long"})
        customer.note = note
        fields.append("note")
    if fields:
        customer.updated_at = clock.now()
        customer.save(update_fields=[*fields, "updated_at"])
    return customer
