from __future__ import annotations

import signal
import ssl
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from unidesk.channels.email.smtpd import controller


class Command(BaseCommand):
    help = (
        "Receive mail over SMTP for the configured mailbox addresses (point MX records or a "
        "mail server's forwarding here); other recipients are refused with 550."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="0.0.0.0:25", help="host:port (default 0.0.0.0:25)")
        parser.add_argument("--hostname", default=None, help="The name given in the greeting")
        parser.add_argument("--tls-cert", default="", help="PEM certificate for STARTTLS")
        parser.add_argument("--tls-key", default="", help="PEM private key for STARTTLS")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _sep, port = options["bind"].rpartition(":")
        if not host or not port.isdigit():
            raise CommandError("--bind expects host:port, e.g. 0.0.0.0:25")
        tls = None
        if options["tls_cert"]:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(options["tls_cert"], options["tls_key"] or None)
        server = controller(host=host.strip("[]"), port=int(port), hostname=options["hostname"],
                            tls=tls)  # fmt: skip
        stop = threading.Event()

        def shutdown(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, shutdown)
        signal.signal(signal.SIGTERM, shutdown)
        server.start()
        self.stdout.write(f"unidesk smtpd listening on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            server.stop()
