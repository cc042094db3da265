from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from unidesk.accounts.models import Role
from unidesk.accounts.services import agent_create_or_update
from unidesk.management.commands._helpers import domain_errors_as_command_errors


class Command(BaseCommand):
    help = "Create an agent, or update the role, password and groups of an existing one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--group", action="append", default=[], help="Group name (repeatable; created if new)"
        )
        parser.add_argument("--language", choices=["en", "ru"], default="")

    @domain_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        agent = agent_create_or_update(
            email=options["email"],
            password=options["password"],
            role=options["role"],
            name=options["name"],
            group_names=options["group"],
            language=options["language"],
        )
        groups = ", ".join(g.name for g in agent.groups.order_by("name")) or "no groups"
        self.stdout.write(f"Agent {agent.email} ({agent.role}; {groups}) is ready.")
