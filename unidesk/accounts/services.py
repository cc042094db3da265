"""Writes for agents, groups and tokens."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from unidesk.accounts.models import Agent, ApiToken, Group, Membership, Role
from unidesk.core import crypto
from unidesk.core.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "udk_"  # noqa: S105 (a public prefix, not a secret)


def group_get_or_create(*, name: str) -> Group:
    name = name.strip()
    if not name:
        raise ValidationFailed("A group needs a name.", fields={"name": "required"})
    group, _ = Group.objects.get_or_create(name=name)
    return group


@transaction.atomic
def agent_create_or_update(
    *,
    email: str,
    password: str | None,
    role: str,
    name: str = "",
    group_names: list[str] | None = None,
    language: str = "",
) -> Agent:
    """Create the agent, or update role, name, password and groups of an existing one."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            f"{email!r} is not an email address.", fields={"email": "invalid"}
        ) from exc
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role {role!r}; use one of {', '.join(Role.values)}.",
            fields={"role": "invalid"},
        )
    agent = Agent.objects.filter(email=email).first()
    if agent is None:
        agent = Agent(email=email)
    agent.role = role
    if name:
        agent.name = name
    if language:
        agent.language = language
    if password is not None:
        agent.set_password(password)
    agent.save()
    for group_name in group_names or []:
        Membership.objects.get_or_create(agent=agent, group=group_get_or_create(name=group_name))
    return agent


def agent_set_groups(*, agent: Agent, groups: list[Group]) -> None:
    with transaction.atomic():
        Membership.objects.filter(agent=agent).exclude(group__in=groups).delete()
        for group in groups:
            Membership.objects.get_or_create(agent=agent, group=group)


def agent_set_language(*, agent: Agent, language: str) -> None:
    agent.language = language
    agent.save(update_fields=["language"])


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str


def token_create(*, agent: Agent, name: str = "") -> IssuedToken:
    plaintext = crypto.random_token(TOKEN_PREFIX, 32)
    token = ApiToken.objects.create(
        agent=agent,
        name=name,
        prefix=plaintext[:10],
        token_hash=crypto.sha256_hex(plaintext),
    )
    return IssuedToken(token=token, plaintext=plaintext)


def token_revoke(*, agent: Agent, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(agent=agent, pk=token_id, revoked_at=None).first()
    if token is None:
        raise NotFound("No such active token.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
