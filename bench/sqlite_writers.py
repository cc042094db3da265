"""Threads of one process writing to SQLite at once: unidesk's in-process write turns
against SQLite's busy handler alone (decision 008).

Six threads each run 150 short write transactions (update a ticket, a little CPU inside the
transaction, as a real service does) on the desk's schema; reported: transactions per second
and each transaction's latency. Each backend runs in a fresh process with its own database.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench.common import machine, summary_ms

THREADS = 6
TRANSACTIONS = 150
BACKENDS = {
    "in-process turns (unidesk.core.sqlite)": "unidesk.core.sqlite",
    "SQLite's busy handler alone (django.db.backends.sqlite3)": "django.db.backends.sqlite3",
}


def _measure(engine: str) -> dict[str, object]:
    """In the child process: set the engine up, write from THREADS threads, report."""
    import django

    import unidesk.settings as desk_settings

    desk_settings.DATABASES["default"]["ENGINE"] = engine
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unidesk.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from unidesk.channels.base import IdentityRef, InboundMessage
    from unidesk.channels.ingest import ingest
    from unidesk.channels.services import channel_add
    from unidesk.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    account = channel_add(kind="api", name="bench").account
    inbound = InboundMessage(
        external_id="w-1", identity=IdentityRef(kind="email", value="w@example.com"), text="hi"
    )
    ticket_id = ingest(account, inbound).ticket.pk
    latencies: list[float] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            for i in range(TRANSACTIONS):
                started = time.perf_counter()
                with transaction.atomic():
                    Ticket.objects.filter(pk=ticket_id).update(subject=f"writer {n}, {i}")
                    sum(range(3000))
                with lock:
                    latencies.append(time.perf_counter() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "rate": len(latencies) / elapsed,
        "latencies": latencies,
        "slowest_ms": max(latencies) * 1000,
        "median_ms": statistics.median(latencies) * 1000,
    }


def main() -> None:
    print(f"machine: {machine()}")
    for label, engine in BACKENDS.items():
        with tempfile.TemporaryDirectory() as data_dir:
            env = {**os.environ, "UNIDESK_DATA_DIR": data_dir, "UNIDESK_DEMO": "0"}
            env.pop("DATABASE_URL", None)
            done = subprocess.run(
                [sys.executable, "-m", "bench.sqlite_writers", "--child", engine],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"- {label}: {result['rate']:.0f} transactions/s "
            f"({THREADS} threads × {TRANSACTIONS}); latency {summary_ms(result['latencies'])}, "
            f"slowest {result['slowest_ms']:.1f} ms"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(_measure(sys.argv[2])))
    else:
        main()
