"""Reads for agents, groups and tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from unidesk.accounts.models import Agent, ApiToken, Group
from unidesk.core import crypto
from unidesk.core.calendar import BusinessCalendar

# Writing last_used_at on every request would turn each API read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


def agent_for_token(plaintext: str) -> Agent | None:
    if not plaintext or len(plaintext) > 200:
        return None
    token = (
        ApiToken.objects.select_related("agent")
        .filter(token_hash=crypto.sha256_hex(plaintext), revoked_at=None, agent__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.agent


def agent_group_ids(agent: Agent) -> list[int]:
    cached: list[int] | None = getattr(agent, "_group_ids_cache", None)
    if cached is None:
        cached = list(agent.groups.values_list("id", flat=True))
        agent._group_ids_cache = cached  # type: ignore[attr-defined]
    return cached


def groups_visible_to(agent: Agent) -> QuerySet[Group]:
    """Every agent may see the list of groups (to hand a ticket over)."""
    return Group.objects.order_by("name")


def groups_of(agent: Agent) -> QuerySet[Group]:
    return agent.groups.order_by("name")


def agents_active() -> QuerySet[Agent]:
    return Agent.objects.filter(is_active=True).order_by("name", "email")


def default_group() -> Group | None:
    """The group for new conversations from channels without their own group."""
    return Group.objects.order_by("-is_default", "id").first()


def calendar_for(group: Group | None) -> BusinessCalendar:
    """The group's working calendar; around the clock when it has none."""
    if group is not None and group.business_hours_id is not None:
        hours = group.business_hours
        if hours is not None:
            return hours.calendar()
    return BusinessCalendar.always_open(settings.TIME_ZONE)


def expected_first_reply_at(group: Group | None, received_at: datetime) -> datetime:
    """When a person should answer a conversation that starts at ``received_at``: the
    group's target reply time counted in its working hours."""
    minutes = group.first_reply_target_minutes if group is not None else 120
    return calendar_for(group).add_business_seconds(received_at, minutes * 60)
