"""A live chat's round trip under load: a visitor writes, the agent's live workspace hears
of it, the agent answers, the visitor reads the answer — with 1,000 chats open at once.

    python -m bench webchat_roundtrip               (SQLite; BENCH_WEBCHAT_* to change)
    python -m bench.webchat_roundtrip --database postgres --chats 1000 --rate 5 --seconds 60

Target (issue 4): p99 of visitor → agent → visitor at most 100 ms with 1,000 active chats.

Method: one `unidesk run` process (embedded worker: it delivers the replies) with a web
chat channel (pickup notices off, rate limits off: every client comes from one address).
1,000 visitors connect as the widget does and each opens a conversation with a first
message. A supervisor's live workspace (the agent websocket, signed in with a session)
listens. Then round trips start at random chats, Poisson arrivals at ``--rate`` per
second for ``--seconds``: the visitor sends ``rt-N``; when the workspace hears of it, the
agent answers through the REST API (a person would press Send in the workspace; the
message path behind it is the same: reply → outbox → worker → widget); the visitor
receives the answer. Reported: visitor → agent (the push), agent → visitor (API call,
outbox, worker, push), and the whole round trip, as median / p95 / p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import fresh_postgres, machine, process_rss_mb, server, summary_ms


class Chat:
    """One visitor's widget: a websocket and the answers it waits for."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.busy = False

    async def read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                text = frame["message"].get("text", "")
                future = self.waiting.pop(text, None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())


async def _visitor(url: str, origin: str, n: int) -> Chat:
    import websockets

    ws = await websockets.connect(url, origin=origin, ping_interval=None, open_timeout=60)
    await ws.send(json.dumps({"type": "hello", "lang": "ru"}))
    json.loads(await ws.recv())
    await ws.send(json.dumps({"type": "message", "id": f"open-{n}", "text": f"Чат {n}"}))
    while json.loads(await ws.recv()).get("type") != "ack":
        pass
    return Chat(ws)


async def _agent_session(http: httpx.AsyncClient, email: str, password: str) -> str:
    login = await http.get("/login/")
    csrf = login.cookies["csrftoken"]
    await http.post(
        "/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{http.base_url}/login/"},
    )
    return str(http.cookies["sessionid"])


class Agent:
    """A supervisor's live workspace that answers every ``rt-N`` it hears of."""

    def __init__(self, ws: Any, api: httpx.AsyncClient) -> None:
        self.ws = ws
        self.api = api
        self.heard: dict[str, float] = {}
        self.replies_started: dict[str, float] = {}
        self.api_calls: list[float] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def answer(self, ticket_id: int, text: str) -> None:
        reply = "re-" + text.removeprefix("rt-")
        self.replies_started[reply] = time.perf_counter()
        response = await self.api.post(
            f"/api/v1/tickets/{ticket_id}/messages", json={"text": reply}
        )
        response.raise_for_status()
        self.api_calls.append(time.perf_counter() - self.replies_started[reply])

    async def listen(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            fact = frame.get("fact") or {}
            text = (fact.get("message") or {}).get("text", "")
            if fact.get("kind") == "message" and text.startswith("rt-"):
                self.heard[text] = time.perf_counter()
                task = asyncio.ensure_future(self.answer(fact["ticket"], text))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)


async def _open_chats(url: str, count: int) -> list[Chat]:
    chats: list[Chat] = []
    semaphore = asyncio.Semaphore(20)

    async def open_chat(n: int) -> None:
        async with semaphore:
            chats.append(await _visitor(url, "https://shop.example", n))

    await asyncio.gather(*(open_chat(n) for n in range(count)))
    return chats


async def _open_agent(base: str, token: str) -> Agent:
    import websockets

    api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                            timeout=30, limits=httpx.Limits(max_connections=20))  # fmt: skip
    async with httpx.AsyncClient(base_url=base, timeout=30) as web:
        session = await _agent_session(web, "lead@bench.example", "bench-password-1")
    ws = await websockets.connect(
        base.replace("http", "ws") + "/ws/agent/",
        origin=base,
        additional_headers={"Cookie": f"sessionid={session}"},
        ping_interval=None,
        max_queue=None,
    )
    return Agent(ws, api)


class Measured:
    def __init__(self) -> None:
        self.to_agent: list[float] = []
        self.to_visitor: list[float] = []
        self.whole: list[float] = []
        self.lost = 0


async def _round_trip(chat: Chat, n: int, agent: Agent, measured: Measured) -> None:
    chat.busy = True
    text, reply = f"rt-{n}", f"re-{n}"
    arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    chat.waiting[reply] = arrived
    sent = time.perf_counter()
    await chat.ws.send(json.dumps({"type": "message", "id": f"rt{n}", "text": text}))
    try:
        done = await asyncio.wait_for(arrived, 60)
    except TimeoutError:
        measured.lost += 1
    else:
        measured.to_agent.append(agent.heard[text] - sent)
        measured.to_visitor.append(done - agent.replies_started[reply])
        measured.whole.append(done - sent)
    chat.busy = False


async def _run(base: str, key: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    chats = await _open_chats(base.replace("http", "ws") + f"/ws/webchat/{key}/", args.chats)
    opened = time.perf_counter() - started
    readers = [asyncio.ensure_future(chat.read()) for chat in chats]
    agent = await _open_agent(base, token)
    listener = asyncio.ensure_future(agent.listen())
    measured = Measured()
    trips = []
    deadline = time.perf_counter() + args.seconds
    n = 0
    while time.perf_counter() < deadline:
        await asyncio.sleep(random.expovariate(args.rate))
        idle = [chat for chat in chats if not chat.busy]
        if idle:
            n += 1
            trips.append(
                asyncio.ensure_future(_round_trip(random.choice(idle), n, agent, measured))
            )
    await asyncio.gather(*trips)
    for task in (listener, *readers):
        task.cancel()
    await agent.ws.close()
    await agent.api.aclose()
    await asyncio.gather(*(chat.ws.close() for chat in chats), return_exceptions=True)
    return {"opened": opened, "to_agent": measured.to_agent, "to_visitor": measured.to_visitor,
            "whole": measured.whole, "lost": measured.lost, "trips": n,
            "api": agent.api_calls}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    env = {
        "UNIDESK_WEBCHAT_IP_CONNECTIONS": "0",
        "UNIDESK_WEBCHAT_IP_PER_MINUTE": "0",
        "UNIDESK_LOG": "WARNING",
    }
    database = fresh_postgres("unidesk_webchat_bench") if args.database == "postgres" else None
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(Path(tmp), database_url=database, extra_env=env) as desk,
    ):
        desk.cli("createagent", "--email", "lead@bench.example", "--password",
                 "bench-password-1", "--role", "supervisor")  # fmt: skip
        token = desk.cli("token", "create", "--agent", "lead@bench.example").strip()
        key = json.loads(desk.cli("channel", "add", "webchat", "--name", "Bench",
                                  "--set", "pickup_minutes=0"))["key"]  # fmt: skip
        result = asyncio.run(_run(desk.url, key, token, args))
        result["rss_mb"] = process_rss_mb(desk.process.pid)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default=os.environ.get("BENCH_WEBCHAT_DATABASE", "sqlite"),
    )
    parser.add_argument(
        "--chats", type=int, default=int(os.environ.get("BENCH_WEBCHAT_CHATS", "1000"))
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=float(os.environ.get("BENCH_WEBCHAT_RATE", "5")),
        help="round trips started per second",
    )
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_WEBCHAT_SECONDS", "60"))
    )
    args = parser.parse_args(argv if argv is not None else [])  # fmt: skip
    print(f"  machine: {machine()}")
    result = run(args)
    print(
        f"  {args.chats:,} chats open ({result['opened']:.0f} s to open them) on "
        f"{args.database}; {result['trips']} round trips at {args.rate:g}/s, "
        f"{result['lost']} without an answer in 60 s; server RSS {result['rss_mb']:.0f} MB"
    )
    print(f"  visitor → agent's workspace: {summary_ms(result['to_agent'])}")
    print(f"  agent's reply → visitor:     {summary_ms(result['to_visitor'])}")
    print(f"  whole round trip:            {summary_ms(result['whole'])}")
    print(f"  (the agent's API call alone: {summary_ms(result['api'])})")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
