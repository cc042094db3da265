from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from unidesk.accounts.models import Agent
from unidesk.accounts.selectors import agent_for_token


class AgentToken(HttpBearer):
    """``Authorization: Bearer <agent token>`` (create one with ``unidesk token create``)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Agent | None:
        agent = agent_for_token(token.strip())
        if agent is not None:
            request.agent = agent  # type: ignore[attr-defined]
        return agent


def agent_of(request: HttpRequest) -> Agent:
    agent: Agent = request.agent  # type: ignore[attr-defined]
    return agent
