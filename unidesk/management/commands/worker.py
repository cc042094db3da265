from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from unidesk.core.worker import Worker


class Command(BaseCommand):
    help = "Run background work (deliveries, automation, periodic jobs) in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threads", type=int, default=1, help="Worker threads in this process (default 1)"
        )
        parser.add_argument(
            "--idle-wait",
            type=float,
            default=0.5,
            help="Seconds to wait for new work when the queue is empty (default 0.5)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def shutdown(signum: int, frame: FrameType | None) -> None:
            self.stdout.write("Stopping after the current task…")
            stop.set()

        signal.signal(signal.SIGINT, shutdown)
        signal.signal(signal.SIGTERM, shutdown)
        threads = [
            threading.Thread(
                target=Worker(idle_wait=options["idle_wait"]).run_forever,
                args=(stop,),
                name=f"unidesk-worker-{n}",
            )
            for n in range(max(1, options["threads"]))
        ]
        for thread in threads:
            thread.start()
        self.stdout.write(f"unidesk worker running with {len(threads)} thread(s).")
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=1)
