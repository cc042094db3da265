"""Reads for customers."""

from __future__ import annotations

from django.db.models import QuerySet

from unidesk.customers.models import Customer, Identity


def customer_by_identity(kind: str, value: str) -> Customer | None:
    identity = Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
    return identity.customer if identity else None


def customers_with_identities() -> QuerySet[Customer]:
    return Customer.objects.filter(merged_into=None).prefetch_related("identities")
