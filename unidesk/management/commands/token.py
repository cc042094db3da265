from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from unidesk.accounts.models import Agent
from unidesk.accounts.services import token_create, token_revoke
from unidesk.management.commands._helpers import domain_errors_as_command_errors


class Command(BaseCommand):
    help = "Manage agents' API tokens. `token create` prints a new token once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown only once)")
        create.add_argument("--agent", required=True, help="The agent's email")
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="List an agent's tokens")
        listing.add_argument("--agent", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by id")
        revoke.add_argument("--agent", required=True)
        revoke.add_argument("--id", type=int, required=True)

    @domain_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        agent = Agent.objects.filter(email=options["agent"].strip().lower()).first()
        if agent is None:
            raise CommandError(f"No agent {options['agent']}; create one with createagent.")
        action = options["action"]
        if action == "create":
            issued = token_create(agent=agent, name=options["name"])
            self.stdout.write(issued.plaintext)
        elif action == "list":
            for token in agent.api_tokens.all():
                state = "active" if token.is_active else f"revoked {token.revoked_at:%Y-%m-%d}"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}\tlast used {used}"
                )
        else:
            token_revoke(agent=agent, token_id=options["id"])
            self.stdout.write(f"Token {options['id']} revoked.")
