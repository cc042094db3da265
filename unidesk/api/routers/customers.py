"""Customers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from unidesk.api.auth import agent_of
from unidesk.api.schemas import (
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    ErrorOut,
    MergeIn,
    customer_out,
)
from unidesk.core.pagination import OrderKey, keyset_page
from unidesk.crosschannel.selectors import merge_pair_for
from unidesk.crosschannel.services import customers_merge
from unidesk.customers.services import customer_update
from unidesk.tickets.selectors import customer_get_for, customers_visible_to

router = Router(tags=["customers"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MERGE_ERRORS: dict[int, Any] = {**ERRORS, 403: ErrorOut}


class CustomerQuery(Schema):
    q: str = Field(default="", max_length=200, description="Part of a name or an identity.")
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


@router.get("", response={200: CustomerPage, **ERRORS}, summary="List customers")
def list_customers(request: HttpRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    qs = customers_visible_to(agent_of(request)).prefetch_related("identities")
    if query.q:
        qs = qs.filter(name__icontains=query.q) | qs.filter(identities__value__icontains=query.q)
        qs = qs.distinct()
    page = keyset_page(qs, keys=(OrderKey("id"),), cursor=query.cursor, limit=query.limit)
    return {"items": [customer_out(c) for c in page.items], "next": page.next}


@router.get("/{int:customer_id}", response={200: CustomerOut, **ERRORS}, summary="One customer")
def get_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """A merged customer's id answers with the customer it was merged into."""
    return customer_out(customer_get_for(agent_of(request), customer_id))


@router.patch("/{int:customer_id}", response={200: CustomerOut, **ERRORS}, summary="Edit")
def patch_customer(
    request: HttpRequest, customer_id: int, payload: CustomerPatch
) -> dict[str, Any]:
    agent = agent_of(request)
    customer = customer_get_for(agent, customer_id)
    customer_update(customer=customer, name=payload.name, note=payload.note)
    return customer_out(customer_get_for(agent, customer.pk))


@router.post(
    "/{int:customer_id}/merge",
    response={200: CustomerOut, **MERGE_ERRORS},
    summary="Merge into another",
)
def merge_customer(request: HttpRequest, customer_id: int, payload: MergeIn) -> dict[str, Any]:
    """Move this customer's identities, tickets and history into `into`, which stays;
    `GET /customers/{id}/merge-preview?into=` shows what would move. Both customers must
    be visible to you (404 otherwise); trainees may not merge (403)."""
    agent = agent_of(request)
    source, target = merge_pair_for(agent, customer_id, payload.into)
    customers_merge(source=source, target=target, agent=agent)
    return customer_out(customer_get_for(agent, target.pk))
