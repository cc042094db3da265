from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from unidesk.channels.email.mailboxes import mailbox_by_key_or_name
from unidesk.channels.email.services import mail_ingest_now
from unidesk.channels.models import ChannelAccount
from unidesk.management.commands._helpers import domain_errors_as_command_errors


class Command(BaseCommand):
    help = "Email tools: run raw messages through the email path."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser(
            "ingest",
            help="Take in .eml files (or a directory of them, or - for standard input) as "
            "if they had arrived in the mailbox; prints one JSON line per message",
        )
        ingest.add_argument("files", nargs="+", metavar="FILE.eml")
        ingest.add_argument("--mailbox", required=True, help="The mailbox's channel key or name")

    @domain_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        account = mailbox_by_key_or_name(options["mailbox"])
        if account is None:
            named = ChannelAccount.objects.filter(kind="email", name=options["mailbox"]).count()
            if named > 1:
                raise CommandError(
                    f"{named} email channels are named {options['mailbox']!r}; give the key "
                    "of the one you mean (see `unidesk channel list`)."
                )
            raise CommandError(
                f"No email channel with the key or name {options['mailbox']!r} "
                "(see `unidesk channel list`)."
            )
        failed = 0
        messages = _messages(options["files"])
        outcomes = mail_ingest_now(account=account, raws=[raw for _name, raw in messages])
        for (name, _raw), taken in zip(messages, outcomes, strict=True):
            line = {"file": name, "state": taken.state, "duplicate": not taken.stored}
            if taken.error:
                line["error"] = taken.error
                failed += 1
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        if failed:
            raise CommandError(f"{failed} message(s) could not be taken in; see the lines above.")


def _messages(names: list[str]) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for name in names:
        if name == "-":
            found.append(("-", sys.stdin.buffer.read()))
            continue
        path = Path(name)
        if path.is_dir():
            found += [(str(p), p.read_bytes()) for p in sorted(path.glob("*.eml"))]
        elif path.is_file():
            found.append((name, path.read_bytes()))
        else:
            raise CommandError(f"{name}: no such file or directory.")
    return found
