"""Ingestion through the API channel, end to end over HTTP.

Targets (2-core machine): ≥ 500 messages/s on SQLite, ≥ 1,000 on PostgreSQL with two
server processes; server RSS ≤ 250 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import fresh_postgres, machine, server, summary_ms, tree_rss_mb

MESSAGES = int(os.environ.get("BENCH_INGEST_MESSAGES", "5000"))
CONCURRENCY = int(os.environ.get("BENCH_INGEST_CONCURRENCY", "32"))
TEXTS = [
    "Здравствуйте! Заказ №{n} до сих пор не доставлен, трек-номер не обновляется.",
    "Hello, I was charged twice for order {n}. Please refund one payment.",
    "Добрый день. Промокод не применяется к заказу {n}, пишет «недействителен».",
    "Hi! The headphones from order {n} stopped charging after a week. Warranty?",
]


async def _fire(url: str, key: str, secret: str, count: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body = {
                    "external_id": f"bench-{n}",
                    "identity": {"kind": "email", "value": f"customer{n % 2000}@example.com"},
                    "name": f"Customer {n % 2000}",
                    "thread": f"order-{n % 3000}",
                    "text": TEXTS[n % len(TEXTS)].format(n=n),
                }
                started = time.perf_counter()
                response = await client.post(
                    f"/api/v1/channels/api/{key}/messages", content=json.dumps(body),
                    headers=headers,
                )  # fmt: skip
                latencies.append(time.perf_counter() - started)
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies


def run_case(label: str, *, database_url: str | None, processes: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(Path(tmp), database_url=database_url, processes=processes) as desk,
    ):
        channel = json.loads(desk.cli("channel", "add", "api", "--name", "bench"))
        # Warm up connections and code paths before measuring.
        asyncio.run(_fire_warmup(desk.url, channel["key"], channel["secret"]))
        elapsed, latencies = asyncio.run(
            _fire(desk.url, channel["key"], channel["secret"], MESSAGES)
        )
        rss = tree_rss_mb(desk.process.pid)
    print(
        f"- {label}: {MESSAGES / elapsed:.0f} messages/s "
        f"({MESSAGES} messages, {CONCURRENCY} concurrent clients); "
        f"latency {summary_ms(latencies)}; server RSS {rss:.0f} MB"
    )


async def _fire_warmup(url: str, key: str, secret: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for n in range(50):
            await client.post(
                f"/api/v1/channels/api/{key}/messages",
                json={"external_id": f"warm-{n}", "identity": {"kind": "api", "value": "warm"},
                      "text": "warm-up"},
                headers={"Authorization": f"Bearer {secret}"},
            )  # fmt: skip


def main() -> None:
    print(f"machine: {machine()}")
    run_case("SQLite, 1 server process", database_url=None, processes=1)
    run_case("PostgreSQL, 1 server process", database_url=fresh_postgres("unidesk_bench_ingest"),
             processes=1)  # fmt: skip
    run_case("PostgreSQL, 2 server processes",
             database_url=fresh_postgres("unidesk_bench_ingest"), processes=2)  # fmt: skip
