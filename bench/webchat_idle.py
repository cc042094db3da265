"""Idle chat widgets: how many open websocket connections one server process holds, and
what they cost in memory and CPU.

    python -m bench webchat_idle                 (BENCH_WEBCHAT_CONNECTIONS, default 10,000)
    python -m bench.webchat_idle --connections 12000 --hold 60

Target (issue 4): at least 10,000 connections in one process, with its RSS reported.

Method: one `unidesk run` process (SQLite, embedded worker) with a web chat channel. Load
processes open the connections as the widget does — connect, ``hello`` without a token
(a new visitor), wait for ``welcome`` — then hold them, each sending the widget's
keep-alive ``ping`` every 25 s. The file-descriptor limit is raised to the hard limit for
the server and the load processes. Reported: connections held, the server's RSS before
and with them, its CPU while they idle, and how long a new visitor's hello takes then.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import machine, percentile, process_rss_mb, server

PING_EVERY = 25.0
ORIGIN = "https://shop.example"


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def _hold(
    url: str, origin: str, count: int, hold: float, *, ready: Any, results: Any
) -> None:
    import websockets

    sockets: list[Any] = []
    failed = 0
    semaphore = asyncio.Semaphore(64)

    async def open_one() -> None:
        nonlocal failed
        async with semaphore:
            try:
                ws = await websockets.connect(
                    url, origin=origin, ping_interval=None, max_queue=16, open_timeout=60
                )
                await ws.send(json.dumps({"type": "hello", "lang": "en"}))
                answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if answer.get("type") != "welcome":
                    raise RuntimeError(answer)
                sockets.append(ws)
            except Exception:
                failed += 1

    await asyncio.gather(*(open_one() for _ in range(count)))
    ready.put((len(sockets), failed))

    async def keep_alive(ws: Any) -> None:
        await asyncio.sleep(random.random() * PING_EVERY)
        while True:
            await ws.send('{"type":"ping"}')
            await ws.recv()
            await asyncio.sleep(PING_EVERY)

    pingers = [asyncio.ensure_future(keep_alive(ws)) for ws in sockets]
    await asyncio.sleep(hold)
    alive = sum(1 for task in pingers if not task.done())
    for task in pingers:
        task.cancel()
    results.put(alive)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def _load_process(url: str, count: int, hold: float, ready: Any, results: Any) -> None:
    raise_fd_limit()
    asyncio.run(_hold(url, ORIGIN, count, hold, ready=ready, results=results))


async def _hello_latency(url: str, origin: str, samples: int) -> list[float]:
    import websockets

    took = []
    for _ in range(samples):
        started = time.perf_counter()
        async with websockets.connect(url, origin=origin, ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "hello", "lang": "en"}))
            await ws.recv()
        took.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return took


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def run(connections: int, hold: float, loaders: int) -> dict[str, Any]:
    limit = raise_fd_limit()
    print(f"  file descriptors: {limit}")
    env = {
        # One address opens every connection here; the per-address limit is for the web.
        "UNIDESK_WEBCHAT_IP_CONNECTIONS": "0",
        "UNIDESK_LOG": "WARNING",
    }
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), extra_env=env) as desk:
        key = json.loads(desk.cli("channel", "add", "webchat", "--name", "Bench"))["key"]
        url = desk.url.replace("http", "ws") + f"/ws/webchat/{key}/"
        pid = desk.process.pid
        time.sleep(2)
        rss_before = process_rss_mb(pid)
        ready: Any = multiprocessing.Queue()
        results: Any = multiprocessing.Queue()
        share = [connections // loaders + (1 if i < connections % loaders else 0)
                 for i in range(loaders)]  # fmt: skip
        opened_at = time.monotonic()
        workers = [
            multiprocessing.Process(target=_load_process, args=(url, n, hold, ready, results))
            for n in share
        ]
        for worker in workers:
            worker.start()
        counts = [ready.get(timeout=900) for _ in workers]
        open_seconds = time.monotonic() - opened_at
        held = sum(c for c, _ in counts)
        failed = sum(f for _, f in counts)
        time.sleep(5)
        cpu_start, wall_start = _cpu_seconds(pid), time.monotonic()
        rss_samples = []
        idle_for = max(10.0, hold - 40)
        while time.monotonic() - wall_start < idle_for / 2:
            rss_samples.append(process_rss_mb(pid))
            time.sleep(1)
        latency = asyncio.run(_hello_latency(url, ORIGIN, 30))
        while time.monotonic() - wall_start < idle_for:
            rss_samples.append(process_rss_mb(pid))
            time.sleep(1)
        cpu = (_cpu_seconds(pid) - cpu_start) / (time.monotonic() - wall_start)
        alive = sum(results.get(timeout=900) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
    rss_with = max(rss_samples)
    return {
        "connections": connections,
        "held": held,
        "failed": failed,
        "alive_at_end": alive,
        "open_seconds": open_seconds,
        "rss_before_mb": rss_before,
        "rss_with_mb": rss_with,
        "kb_per_connection": (rss_with - rss_before) * 1024 / max(1, held),
        "cpu_share": cpu,
        "hello_ms_median": statistics.median(latency) * 1000,
        "hello_ms_p99": percentile(latency, 99) * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--connections", type=int, default=int(os.environ.get("BENCH_WEBCHAT_CONNECTIONS", "10000"))
    )
    parser.add_argument("--hold", type=float, default=90.0, help="seconds to hold them")
    parser.add_argument("--loaders", type=int, default=4, help="load-generating processes")
    args = parser.parse_args(argv if argv is not None else [])  # fmt: skip
    print(f"  machine: {machine()}")
    result = run(args.connections, args.hold, args.loaders)
    print(
        f"  held {result['held']:,} of {result['connections']:,} connections "
        f"({result['failed']} failed, {result['alive_at_end']:,} alive at the end), opened in "
        f"{result['open_seconds']:.0f} s\n"
        f"  server RSS {result['rss_before_mb']:.0f} MB before, {result['rss_with_mb']:.0f} MB "
        f"with them ({result['kb_per_connection']:.0f} KB per connection)\n"
        f"  server CPU while they idle (each pings every {PING_EVERY:.0f} s): "
        f"{result['cpu_share'] * 100:.0f}% of one core\n"
        f"  a new visitor's connect + hello meanwhile: median {result['hello_ms_median']:.1f} ms,"
        f" p99 {result['hello_ms_p99']:.1f} ms"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
