"""Who and what tickets can be assigned to: groups, agents, tags; and the caller."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from unidesk.accounts.selectors import agent_group_ids, agents_active, groups_visible_to
from unidesk.api.auth import agent_of
from unidesk.api.schemas import AgentOut, ErrorOut, GroupOut, agent_out, group_out
from unidesk.tickets.models import Tag

router = Router(tags=["directory"])


@router.get("/me", response={200: AgentOut, 401: ErrorOut}, summary="The calling agent")
def me(request: HttpRequest) -> dict[str, Any]:
    agent = agent_of(request)
    return agent_out(agent, agent_group_ids(agent))


@router.get("/groups", response={200: list[GroupOut], 401: ErrorOut}, summary="Groups")
def list_groups(request: HttpRequest) -> list[dict[str, Any]]:
    return [group_out(g) for g in groups_visible_to(agent_of(request))]


@router.get("/agents", response={200: list[AgentOut], 401: ErrorOut}, summary="Active agents")
def list_agents(request: HttpRequest) -> list[dict[str, Any]]:
    agents = agents_active().prefetch_related("groups")
    return [agent_out(a, [g.pk for g in a.groups.all()]) for a in agents]


@router.get("/tags", response={200: list[str], 401: ErrorOut}, summary="Tags in use")
def list_tags(request: HttpRequest) -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True))
