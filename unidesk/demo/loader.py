"""Demo data: a week of a small shop's support (placeholder until the full demo lands)."""

from __future__ import annotations

from unidesk.accounts.models import Agent
from unidesk.accounts.services import agent_create_or_update

DEMO_LOGIN_EMAIL = "anna@demo.unidesk.local"
DEMO_PASSWORD = "demo"  # noqa: S105 (the published demo login)


def demo_agent_exists() -> bool:
    return Agent.objects.filter(email=DEMO_LOGIN_EMAIL).exists()


def load() -> None:
    agent_create_or_update(
        email=DEMO_LOGIN_EMAIL,
        password=DEMO_PASSWORD,
        role="admin",
        name="Анна Смирнова",
        group_names=["Общие вопросы / General"],
    )
