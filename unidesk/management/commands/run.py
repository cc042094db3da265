from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from unidesk.core import worker


def split_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise CommandError(f"UNIDESK_BIND must look like host:port, not {bind!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class Command(BaseCommand):
    help = (
        "Start unidesk: migrate, load demo data on the first start, and serve the workspace, "
        "API and websockets with a background worker in the same process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.BIND, help="host:port (UNIDESK_BIND)")
        parser.add_argument(
            "--processes",
            type=int,
            default=int(os.environ.get("UNIDESK_PROCESSES", "1")),
            help="Server processes (UNIDESK_PROCESSES). More than one needs REDIS_URL for "
            "live updates across processes.",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the embedded worker (run `unidesk worker` separately).",
        )
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        host, port = split_bind(options["bind"])
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        self._first_start()
        self._announce(host, port)
        stop = None
        if settings.UNIDESK["EMBEDDED_WORKER"] and not options["no_worker"]:
            _, stop = worker.start_in_thread()
        try:
            uvicorn.run(
                "unidesk.asgi:application",
                host=host,
                port=port,
                workers=max(1, options["processes"]),
                proxy_headers=True,
                forwarded_allow_ips=os.environ.get("UNIDESK_TRUSTED_PROXIES", "127.0.0.1"),
                lifespan="off",
                log_level=os.environ.get("UNIDESK_SERVER_LOG", "warning"),
                access_log=False,
                timeout_graceful_shutdown=10,
            )
        finally:
            if stop is not None:
                stop.set()
                worker.wake()

    def _first_start(self) -> None:
        from unidesk.accounts.models import Agent
        from unidesk.demo import loader

        if Agent.objects.exists():
            return
        if settings.UNIDESK["DEMO"]:
            self.stdout.write("First start: loading the demo desk…")
            loader.load()
        else:
            self.stdout.write(
                "First start without demo data. Create the first administrator with:\n"
                "  unidesk createagent --email you@example.com --password '…' --role admin"
            )

    def _announce(self, host: str, port: int) -> None:
        from unidesk.demo import loader

        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        if ":" in shown_host:
            shown_host = f"[{shown_host}]"
        self.stdout.write(f"unidesk is running at http://{shown_host}:{port}/")
        if loader.demo_agent_exists():
            self.stdout.write(
                f"Demo login: {loader.DEMO_LOGIN_EMAIL}  password: {loader.DEMO_PASSWORD}"
            )
            chat = loader.demo_chat_path()
            if chat:
                self.stdout.write(f"Try the demo's live chat: http://{shown_host}:{port}{chat}")
            self.stdout.write(
                "Replies in the demo's channels are not delivered to anyone (letters are kept "
                "in demo-outbox/ of the data directory)."
            )
        self.stdout.flush()
