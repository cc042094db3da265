"""Email ingestion: a 2,000-message mixed corpus through `unidesk mail ingest` and through
the raw-MIME webhook, on SQLite and PostgreSQL; and where the parsing time goes.

    python -m bench email        (BENCH_EMAIL_MESSAGES, BENCH_EMAIL_CONCURRENCY to change)

Target (issue 3): at least 300 messages/s.

The corpus is built from the test corpus (tests/channels/email/fixtures: Gmail, Outlook,
Apple Mail, Thunderbird, Yandex, Mail.ru, 1C in windows-1251 and KOI8-R, HTML, inline images,
attachments, forwards, automatic mail, hostile shapes; bounces left out), each copy with its
own Message-ID and one of 400 senders, a third of them answering an earlier message of
theirs (In-Reply-To), so threading does real work.

Reported: parsing alone in this process (messages/s and a profile of where it goes); the
CLI (one `mail ingest` process over the whole directory: store, then process, each message
a real ingestion); the webhook (concurrent HTTP clients to a running desk without its
worker: how fast mail is accepted and stored), then a `unidesk worker` draining what the
webhook stored (how fast it becomes tickets).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import fresh_postgres, machine, server, summary_ms

MESSAGES = int(os.environ.get("BENCH_EMAIL_MESSAGES", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_EMAIL_CONCURRENCY", "16"))
SENDERS = 400
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "channels" / "email" / "fixtures"
SKIP = {"dsn_bounce_5_1_1", "bounce_plain_daemon", "dsn_delayed"}
ADDRESS = "support@shop.example"
_HEADER = re.compile(
    rb"(?im)^(message-id|from|in-reply-to|references):[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n"
)


def corpus(count: int = MESSAGES) -> list[bytes]:
    """``count`` distinct messages: the fixtures in turn, re-addressed and re-numbered."""
    templates = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml")) if p.stem not in SKIP]
    messages: list[bytes] = []
    last_of: dict[int, str] = {}
    for n in range(count):
        body = _HEADER.sub(b"", templates[n % len(templates)])
        sender = n % SENDERS
        message_id = f"bench-{n}@client{sender}.example"
        head = (
            f"From: Customer {sender} <customer{sender}@client{sender}.example>\r\n"
            f"Message-ID: <{message_id}>\r\n"
        )
        if n % 3 == 0 and sender in last_of:
            head += f"In-Reply-To: <{last_of[sender]}>\r\nReferences: <{last_of[sender]}>\r\n"
        last_of[sender] = message_id
        messages.append(head.encode() + body)
    return messages


def parse_only(messages: list[bytes]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unidesk.settings")
    import django

    django.setup()
    from unidesk.channels.base import ChannelConfig, WebhookRequest
    from unidesk.channels.email.adapter import EmailAdapter

    adapter = EmailAdapter(ChannelConfig(
        id=1, kind="email", key="bench", name="bench", settings={"address": ADDRESS},
        secrets={"secret": "s"},
    ))  # fmt: skip

    def run() -> None:
        for raw in messages:
            adapter.parse_inbound(WebhookRequest("POST", {}, {}, raw))

    run()  # warm up
    started = time.process_time()
    run()
    cpu = time.process_time() - started
    print(f"- parsing alone (this process, CPU): {len(messages) / cpu:.0f} messages/s, "
          f"{cpu / len(messages) * 1000:.2f} ms CPU per message")  # fmt: skip
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    print("  where parsing goes (own time, top entries: ncalls tottime percall cumtime):")
    for line in out.getvalue().splitlines():
        if re.match(r"\s+\d+", line):
            print("   ", line.strip()[:150])


# Where one message's time goes in `mail ingest`, by the function it is spent in.
SHARES = {
    "parsing (email package and ours)": r"email/adapter.py:.*\(parse_inbound\)",
    "ingestion (channels.ingest.ingest, the core path)": r"channels/ingest.py:.*\(ingest\)",
    "storing the raw message": r"channels/webhooks.py:.*\(inbound_store_many\)",
    "processing bookkeeping (claim, state)": r"channels/webhooks.py:.*\((_next_due|_finish)\)",
}


def profile_ingest() -> None:
    """In this process (run with a fresh UNIDESK_DATA_DIR): `mail ingest` of 500 messages
    under the profiler, and the share of each step."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unidesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from unidesk.channels.email.services import mail_ingest_now
    from unidesk.channels.services import channel_add

    call_command("migrate", verbosity=0)
    account = channel_add(kind="email", name="Profile", settings={
        "address": ADDRESS, "acknowledge": "off"}).account  # fmt: skip
    messages = corpus(600)
    mail_ingest_now(account=account, raws=messages[:100])
    profile = cProfile.Profile()
    profile.enable()
    mail_ingest_now(account=account, raws=messages[100:])
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"  where `mail ingest` time goes (SQLite, 500 messages under the profiler, "
          f"{total / 500 * 1000:.1f} ms each):")  # fmt: skip
    for label, pattern in SHARES.items():
        spent = sum(
            cumulative
            for (path, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items()  # type: ignore[attr-defined]
            if re.search(pattern, f"{path}:{line}({name})")
        )
        print(f"    {label}: {spent / total * 100:.0f} %")


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "UNIDESK_DATA_DIR": str(data_dir), "UNIDESK_DEMO": "0"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "unidesk", *args], env=env, check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def cli_case(label: str, messages: list[bytes], database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = _env(root / "data", database_url)
        _cli(env, "migrate", "-v0")
        _cli(env, "channel", "add", "email", "--name", "Bench", "--set", f"address={ADDRESS}",
             "--set", "acknowledge=off")  # fmt: skip
        corpus_dir = root / "corpus"
        corpus_dir.mkdir()
        for n, raw in enumerate(messages):
            (corpus_dir / f"{n:05d}.eml").write_bytes(raw)
        started = time.perf_counter()
        _cli(env, "check")  # the command's start-up alone, to subtract
        startup = time.perf_counter() - started
        started = time.perf_counter()
        output = _cli(env, "mail", "ingest", str(corpus_dir), "--mailbox", "Bench")
        elapsed = time.perf_counter() - started - startup
        states = [json.loads(line)["state"] for line in output.splitlines()]
    done = states.count("done")
    print(f"- `mail ingest`, {label}: {len(messages) / elapsed:.0f} messages/s "
          f"({len(messages)} messages in {elapsed:.1f} s after {startup:.1f} s start-up; "
          f"{done} processed)")  # fmt: skip


async def _post_all(
    url: str, key: str, secret: str, messages: list[bytes]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for raw in messages:
        queue.put_nowait(raw)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "message/rfc822"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                raw = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(f"/api/v1/channels/email/{key}/raw", content=raw,
                                             headers=headers)  # fmt: skip
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies


def webhook_case(label: str, messages: list[bytes], database_url: str | None) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(
            Path(tmp), database_url=database_url, extra_env={"UNIDESK_EMBEDDED_WORKER": "0"}
        ) as desk,
    ):
        added = desk.cli("channel", "add", "email", "--name", "Bench", "--set",
                         f"address={ADDRESS}", "--set", "acknowledge=off")  # fmt: skip
        channel = json.loads(added)
        warm = corpus(50)
        asyncio.run(_post_all(desk.url, channel["key"], channel["secret"],
                              [b"X-Warm: 1\r\n" + raw for raw in warm]))  # fmt: skip
        elapsed, latencies = asyncio.run(
            _post_all(desk.url, channel["key"], channel["secret"], messages)
        )
        print(f"- webhook, {label}: accepted {len(messages) / elapsed:.0f} messages/s "
              f"({CONCURRENCY} clients; answer {summary_ms(latencies)})")  # fmt: skip
        started = time.perf_counter()
        worker = subprocess.Popen([sys.executable, "-m", "unidesk", "worker"], env=desk.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            pending = _wait_processed(desk.env, len(messages) + len(warm))
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        processing = time.perf_counter() - started
        print(f"  then one `unidesk worker` turned them into tickets at "
              f"{(len(messages) + len(warm)) / processing:.0f} messages/s"
              f"{f' ({pending} still pending)' if pending else ''}")  # fmt: skip


def _pending(env: dict[str, str]) -> int:
    query = "SELECT count(*) FROM unidesk_channels_inboundrecord WHERE state = 'pending'"
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            row = conn.execute(query).fetchone()
    else:
        import sqlite3

        path = Path(env["UNIDESK_DATA_DIR"]) / "unidesk.sqlite3"
        with sqlite3.connect(path, timeout=30) as conn:
            row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _wait_processed(env: dict[str, str], total: int, timeout: float = 900) -> int:
    deadline = time.monotonic() + timeout
    pending = total
    while time.monotonic() < deadline:
        pending = _pending(env)
        if pending == 0:
            return 0
        time.sleep(0.5)
    return pending


def main() -> None:
    print(f"machine: {machine()}")
    messages = corpus()
    size = sum(len(m) for m in messages)
    print(f"corpus: {len(messages)} messages, {size / 1024 / 1024:.1f} MB")
    parse_only(messages)
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), None)
        subprocess.run([sys.executable, "-m", "bench.email", "--profile-ingest"], env=env,
                       check=True)  # fmt: skip
    cli_case("SQLite", messages, None)
    cli_case("PostgreSQL", messages, fresh_postgres("unidesk_bench_email"))
    webhook_case("SQLite", messages, None)
    webhook_case("PostgreSQL", messages, fresh_postgres("unidesk_bench_email"))


if __name__ == "__main__":
    if "--profile-ingest" in sys.argv:
        profile_ingest()
    else:
        main()
