"""Ingestion through the API channel, end to end over HTTP.

Every request is a real ingestion on the running server (`unidesk run`): channel secret,
validation, customer by identity, threading, ticket and message rows, search index,
events; answered with the ticket it landed on. The load comes from a small keep-alive
HTTP/1.1 client (bench.common.load) so the client's own CPU stays small beside the
server's, and the server's CPU per message is reported beside the rate, since on a shared
2-core machine the rate alone says more about the neighbours than about unidesk.

Targets (2-core machine): ≥ 500 messages/s on SQLite, ≥ 1,000 on PostgreSQL with two
server processes; server RSS ≤ 250 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import (
    cpu_seconds,
    fresh_postgres,
    load,
    machine,
    raw_post,
    server,
    summary_ms,
    tree_rss_mb,
)

MESSAGES = int(os.environ.get("BENCH_INGEST_MESSAGES", "5000"))
CONCURRENCY = int(os.environ.get("BENCH_INGEST_CONCURRENCY", "32"))
TEXTS = [
    "Здравствуйте! Заказ №{n} до сих пор не доставлен, трек-номер не обновляется.",
    "Hello, I was charged twice for order {n}. Please refund one payment.",
    "Добрый день. Промокод не применяется к заказу {n}, пишет «недействителен».",
    "Hi! The headphones from order {n} stopped charging after a week. Warranty?",
]


def requests(host: str, key: str, secret: str, first: int, count: int) -> list[bytes]:
    path = f"/api/v1/channels/api/{key}/messages"
    auth = {"Authorization": f"Bearer {secret}"}
    built = []
    for n in range(first, first + count):
        body = {
            "external_id": f"bench-{n}",
            "identity": {"kind": "email", "value": f"customer{n % 2000}@example.com"},
            "name": f"Customer {n % 2000}",
            "thread": f"order-{n % 3000}",
            "text": TEXTS[n % len(TEXTS)].format(n=n),
        }
        built.append(raw_post(host, path, json.dumps(body).encode(), auth))
    return built


def run_case(label: str, *, database_url: str | None, processes: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(Path(tmp), database_url=database_url, processes=processes) as desk,
    ):
        channel = json.loads(desk.cli("channel", "add", "api", "--name", "bench"))
        address = urlsplit(desk.url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        key, secret = channel["key"], channel["secret"]
        # Warm up connections and code paths before measuring.
        asyncio.run(load(host, port, requests(host, key, secret, 10**6, 300), CONCURRENCY))
        app_before, pg_before = cpu_seconds(desk.process.pid)
        elapsed, latencies, statuses = asyncio.run(
            load(host, port, requests(host, key, secret, 0, MESSAGES), CONCURRENCY)
        )
        app_after, pg_after = cpu_seconds(desk.process.pid)
        rss = tree_rss_mb(desk.process.pid)
    unexpected = {status: n for status, n in statuses.items() if status != 201}
    if unexpected:
        raise RuntimeError(f"{label}: unexpected answers {unexpected}")
    server_cpu = (app_after - app_before) / MESSAGES * 1000
    database_cpu = (pg_after - pg_before) / MESSAGES * 1000 if database_url else 0.0
    print(
        f"- {label}: {MESSAGES / elapsed:.0f} messages/s "
        f"({MESSAGES} messages, {CONCURRENCY} concurrent clients); "
        f"latency {summary_ms(latencies)}; server CPU {server_cpu:.2f} ms/message"
        + (f", PostgreSQL CPU {database_cpu:.2f} ms/message" if database_url else "")
        + f"; server RSS {rss:.0f} MB"
    )


def main() -> None:
    print(f"machine: {machine()}")
    run_case("SQLite, 1 server process", database_url=None, processes=1)
    run_case("PostgreSQL, 1 server process", database_url=fresh_postgres("unidesk_bench_ingest"),
             processes=1)  # fmt: skip
    run_case("PostgreSQL, 2 server processes",
             database_url=fresh_postgres("unidesk_bench_ingest"), processes=2)  # fmt: skip
