from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from unidesk.core.errors import Conflict
from unidesk.demo import loader


class Command(BaseCommand):
    help = (
        "Load the demo desk (a week of a small shop's support) into an empty desk. "
        "`unidesk run` does this by itself on the first start."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add the demo to a desk that already has agents (never a second time).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = loader.load(require_empty=not options["force"])
        except Conflict as exc:
            raise CommandError(
                f"{exc.message} Run `unidesk demo --force` to add it anyway."
            ) from None
        if summary is None:
            self.stdout.write(f"The demo is already loaded (agent {loader.DEMO_LOGIN_EMAIL}).")
            return
        self.stdout.write(
            f"Loaded the demo desk: {summary.tickets} tickets, {summary.messages} messages "
            f"in {summary.seconds:.1f} s.\n"
            f"Demo login: {loader.DEMO_LOGIN_EMAIL}  password: {loader.DEMO_PASSWORD}"
        )
