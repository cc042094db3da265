"""A small real HTTP server for tests: records requests and answers from a script."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    # Each request pops the next (status, body); the last one repeats.
    responses: list[tuple[int, Any]] = field(default_factory=lambda: [(200, {"ok": True})])
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def answer(self, *responses: tuple[int, Any]) -> None:
        self.responses = list(responses)

    def wait_for(self, count: int, timeout: float = 15) -> bool:
        """Block until ``count`` requests arrived (for servers outside the test process)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def _next(self) -> tuple[int, Any]:
        return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    state: dict[str, FakeServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server = state["server"]
            with server.arrived:
                server.requests.append(
                    Recorded(
                        method=self.command,
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                server.arrived.notify_all()
            status, payload = server._next()
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = httpd.server_address[:2]
    state["server"] = FakeServer(url=f"http://{host}:{port}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
