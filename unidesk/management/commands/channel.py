from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from unidesk.accounts.models import Group
from unidesk.accounts.services import group_get_or_create
from unidesk.channels.models import ChannelKind
from unidesk.channels.selectors import channels_all
from unidesk.channels.services import channel_add, channel_connect
from unidesk.core import crypto
from unidesk.management.commands._helpers import (
    domain_errors_as_command_errors,
    parse_assignments,
)


class Command(BaseCommand):
    help = "Connect channels (inboxes) and list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help='Connect a channel; prints JSON {"id", "kind", "key", "secret"}'
        )
        add.add_argument("kind", choices=ChannelKind.values)
        add.add_argument("--name", required=True)
        add.add_argument("--group", default="", help="Group for new conversations")
        add.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="A platform setting"
        )
        sub.add_parser("list", help="List connected channels (secrets masked)")
        connect = sub.add_parser(
            "connect", help="Set a channel up at its platform (e.g. register Telegram's webhook)"
        )
        connect.add_argument("key", help="The channel key (from `channel add` or `list`)")

    @domain_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
            return
        if options["action"] == "connect":
            account = channels_all().filter(key=options["key"]).first()
            if account is None:
                raise CommandError(f"No channel with key {options['key']!r}.")
            self.stdout.write(channel_connect(account=account))
            return
        group: Group | None = None
        if options["group"]:
            group = group_get_or_create(name=options["group"])
        connected = channel_add(
            kind=options["kind"],
            name=options["name"],
            group=group,
            settings=parse_assignments(options["set"]),
        )
        account = connected.account
        self.stdout.write(
            json.dumps(
                {
                    "id": account.pk,
                    "kind": account.kind,
                    "key": account.key,
                    "secret": connected.secret,
                }
            )
        )

    def _list(self) -> None:
        accounts = list(channels_all())
        if not accounts:
            raise CommandError("No channels yet; add one with `unidesk channel add`.")
        for account in accounts:
            secrets = {k: crypto.mask(str(v)) for k, v in account.secrets.items()}
            state = "on" if account.is_active else "off"
            group = account.group.name if account.group else "-"
            self.stdout.write(
                f"{account.pk}\t{account.kind}\t{account.key}\t{state}\t{account.name}\t"
                f"group={group}\tsettings={json.dumps(account.settings, ensure_ascii=False)}\t"
                f"secrets={json.dumps(secrets, ensure_ascii=False)}"
            )
