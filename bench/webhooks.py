"""Webhook ingestion per platform: how many signed webhooks a desk accepts per second and
how long the platform waits for the answer (p50/p99), on PostgreSQL with two server
processes (``unidesk run --processes 2``); then how fast workers turn them into tickets.

    python -m bench webhooks                      (with the defaults, or BENCH_WEBHOOKS_*)
    python -m bench.webhooks --requests 3000 --concurrency 32 --rounds 3 --platforms …

Targets (issue 5): at least 1,000 webhooks/s, p99 of the response at most 100 ms.

Method: a fresh database (``--database-url``, default ``unidesk_messengers_bench`` on the
local server) with one channel per platform; the server runs without its worker so the
measurement is the answer path (verify, store, queue). The load generator is an asyncio
HTTP/1.1 client with keep-alive connections in this process, sending pre-signed real
payloads with unique update ids (so each one is stored) from 500 customers. Each
platform runs ``--rounds`` times; the median round is reported. Afterwards ``unidesk
worker`` processes drain the stored webhooks and the processing rate is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import psycopg

from bench.common import cpu_seconds, load, raw_post

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/unidesk_messengers_bench"
CUSTOMERS = 500
NOWHERE = "http://127.0.0.1:9"  # platform calls during processing fail fast, by design

SECRETS = {
    "telegram": {"bot_token": "1:bench", "secret_token": "bench-telegram", "mode": "webhook"},
    "whatsapp": {"access_token": "t", "app_secret": "bench-wa", "verify_token": "v",
                 "phone_number_id": "106540352242922"},
    "vk": {"access_token": "t", "group_id": "218374", "secret": "bench-vk", "confirmation": "c"},
    "facebook": {"page_access_token": "t", "app_secret": "bench-fb", "app_id": "1",
                 "verify_token": "v", "page_id": "108215641995517"},
    "instagram": {"page_access_token": "t", "app_secret": "bench-ig", "app_id": "1",
                  "verify_token": "v", "page_id": "108215641995517",
                  "ig_account_id": "17841405822304914"},
    "phone": {"secret": "bench-phone"},
}  # fmt: skip

Payload = tuple[bytes, dict[str, str]]


def _hub(secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def telegram(i: int) -> Payload:
    user = 700_000_000 + i % CUSTOMERS
    body = {"update_id": 10_000_000 + i, "message": {
        "message_id": i, "date": 1767261600, "text": f"Где мой заказ {i}?",
        "from": {"id": user, "is_bot": False, "first_name": "Клиент"},
        "chat": {"id": user, "type": "private"}}}  # fmt: skip
    return json.dumps(body).encode(), {"X-Telegram-Bot-Api-Secret-Token": "bench-telegram"}


def whatsapp(i: int) -> Payload:
    number = f"7916{i % CUSTOMERS:07d}"
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "1555", "phone_number_id": "106540352242922"},
             "contacts": [{"profile": {"name": "Клиент"}, "wa_id": number}],
             "messages": [{"from": number, "id": f"wamid.bench{i}", "timestamp": "1767261600",
                           "type": "text", "text": {"body": f"Где мой заказ {i}?"}}]}  # fmt: skip
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
    )
    raw = body.encode()
    return raw, _hub("bench-wa", raw)


def vk(i: int) -> Payload:
    user = 51_000_000 + i % CUSTOMERS
    body = {"group_id": 218374, "type": "message_new", "event_id": f"bench{i}", "v": "5.199",
            "object": {"message": {"date": 1767261600, "from_id": user, "id": i, "peer_id": user,
                                   "text": f"Где мой заказ {i}?", "attachments": []}},
            "secret": "bench-vk"}  # fmt: skip
    return json.dumps(body).encode(), {}


def _messenger(kind: str, own: str, secret: str, i: int) -> Payload:
    user = str(6_000_000_000 + i % CUSTOMERS)
    body = {"object": kind, "entry": [{"id": own, "time": 1767261600000, "messaging": [{
        "sender": {"id": user}, "recipient": {"id": own}, "timestamp": 1767261600000,
        "message": {"mid": f"m_bench{i}", "text": f"Where is order {i}?"}}]}]}  # fmt: skip
    raw = json.dumps(body).encode()
    return raw, _hub(secret, raw)


def facebook(i: int) -> Payload:
    return _messenger("page", "108215641995517", "bench-fb", i)


def instagram(i: int) -> Payload:
    return _messenger("instagram", "17841405822304914", "bench-ig", i)


def phone(i: int) -> Payload:
    body = {"call_id": f"bench{i}", "direction": "inbound", "status": "answered",
            "caller": f"+7916{i % CUSTOMERS:07d}", "callee": "+78005553535",
            "started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T10:01:00Z"}  # fmt: skip
    return json.dumps(body).encode(), {"Authorization": "Bearer bench-phone"}


BUILDERS: dict[str, Callable[[int], Payload]] = {
    "telegram": telegram, "whatsapp": whatsapp, "vk": vk, "facebook": facebook,
    "instagram": instagram, "phone": phone,
}  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- the desk under test ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _unidesk(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "unidesk", *args], env=env, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    return result.stdout


def _wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                if b"200 OK" in sock.recv(200):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not become healthy")


def _pending(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM unidesk_channels_inboundrecord WHERE state = 'pending'"
        ).fetchone()
    return int(row[0]) if row else 0


# --- CPU accounting: on a shared machine, CPU seconds per webhook say more than wall time --


def _setup(args: argparse.Namespace, platforms: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    data_dir = tempfile.mkdtemp(prefix="unidesk-bench-webhooks-")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "UNIDESK_DATA_DIR": data_dir,
        "UNIDESK_DEMO": "0",
        "UNIDESK_SECRET_KEY": "bench-webhooks-secret-key",
        "UNIDESK_LOG": "WARNING",
    }
    env.pop("REDIS_URL", None)
    _fresh_database(args.database_url)
    _unidesk(env, "migrate", "--verbosity", "0")
    keys = {}
    for kind in platforms:
        settings = {**SECRETS[kind], "api_base": NOWHERE}
        sets = [a for k, v in settings.items() for a in ("--set", f"{k}={v}")]
        added = _unidesk(env, "channel", "add", kind, "--name", f"bench {kind}", *sets)
        keys[kind] = json.loads(added)["key"]
    return env, keys


def _measure(
    args: argparse.Namespace, kind: str, port: int, path: str, *, server_pid: int, first: int
) -> dict[str, Any]:
    host = f"127.0.0.1:{port}"

    def batch(start: int, n: int) -> list[bytes]:
        return [raw_post(host, path, *BUILDERS[kind](start + i)) for i in range(n)]

    asyncio.run(load("127.0.0.1", port, batch(first, 300), args.concurrency))  # warm-up
    rounds = []
    for number in range(args.rounds):
        requests = batch(first + 300 + number * args.requests, args.requests)
        app_before, pg_before = cpu_seconds(server_pid)
        own_before = time.process_time()
        elapsed, latencies, statuses = asyncio.run(
            load("127.0.0.1", port, requests, args.concurrency)
        )
        app_after, pg_after = cpu_seconds(server_pid)
        if set(statuses) != {200}:
            raise RuntimeError(f"{kind}: unexpected answers {statuses}")
        per = 1000 / args.requests
        rounds.append({
            "rps": args.requests / elapsed,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "app_cpu_ms": (app_after - app_before) * per,
            "postgres_cpu_ms": (pg_after - pg_before) * per,
            "loadgen_cpu_ms": (time.process_time() - own_before) * per,
        })  # fmt: skip
    return sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2] | {"rounds": rounds}


def _drain(env: dict[str, str], url: str, workers: int, stored: int) -> float:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "unidesk", "worker", "--idle-wait", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(workers)
    ]
    started = time.perf_counter()
    try:
        while _pending(url) > 0 and time.perf_counter() - started < 1800:
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    left = _pending(url)
    rate = (stored - left) / elapsed
    print(f"processing: {stored - left} webhooks into tickets in {elapsed:.1f} s = "
          f"{rate:.0f}/s with {workers} worker processes ({left} left)")  # fmt: skip
    return rate


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks")
    parser.add_argument("--requests", type=int, default=int(env("BENCH_WEBHOOKS_REQUESTS", "3000")))
    parser.add_argument(
        "--concurrency", type=int, default=int(env("BENCH_WEBHOOKS_CONCURRENCY", "32"))
    )
    parser.add_argument("--rounds", type=int, default=int(env("BENCH_WEBHOOKS_ROUNDS", "3")))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="worker processes afterwards")
    parser.add_argument("--platforms", default=env("BENCH_WEBHOOKS_PLATFORMS", ",".join(BUILDERS)))
    parser.add_argument("--no-processing", action="store_true")
    parser.add_argument("--database-url", default=env("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    # The bench runner calls main() without options; its own argv is the benchmark names.
    args = parser.parse_args([] if argv is None else argv)
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
    env, keys = _setup(args, platforms)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "unidesk", "run", "--no-worker", "--no-migrate",
         "--processes", str(args.processes), "--bind", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    try:
        _wait_healthy(port)
        for index, kind in enumerate(platforms):
            path = f"/api/v1/channels/{kind}/{keys[kind]}/webhook"
            first = index * 10_000_000
            result = _measure(args, kind, port, path, server_pid=server.pid, first=first)
            results[kind] = result
            server_cpu = result["app_cpu_ms"] + result["postgres_cpu_ms"]
            print(
                f"{kind:10s} {result['rps']:6.0f}/s  p50 {result['p50_ms']:6.1f} ms  "
                f"p99 {result['p99_ms']:6.1f} ms  CPU/webhook: app {result['app_cpu_ms']:.2f} ms"
                f" + postgres {result['postgres_cpu_ms']:.2f} ms (load generator "
                f"{result['loadgen_cpu_ms']:.2f} ms) -> 2 free cores: "
                f"~{2000 / server_cpu:.0f}/s",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stored = len(platforms) * (300 + args.requests * args.rounds)
    rate = None if args.no_processing else _drain(env, args.database_url, args.workers, stored)
    print(json.dumps({"ingestion": results, "processing_per_second": rate,
                      "cpus": os.cpu_count(), "load": os.getloadavg()}, default=float))  # fmt: skip
    shutil.rmtree(env["UNIDESK_DATA_DIR"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
