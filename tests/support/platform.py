"""A base for fake platform servers: real HTTP on 127.0.0.1 (port 0), routes that answer
in the platform's documented shapes, every request recorded, and failures a test can
script ("the next sendMessage answers 429").

Each platform's fake (``tests/channels/<kind>/fake.py``) subclasses ``FakePlatform`` and
adds routes with ``self.route(method, path_regex, handler)``."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from tests.support.http import Recorded


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Call:
    """A recorded request with its parsed parts."""

    recorded: Recorded
    path: str
    query: dict[str, str]

    @property
    def method(self) -> str:
        return self.recorded.method

    @property
    def headers(self) -> dict[str, str]:
        return self.recorded.headers

    @property
    def body(self) -> bytes:
        return self.recorded.body

    def json(self) -> Any:
        return self.recorded.json()

    def form(self) -> dict[str, Any]:
        """Fields of a urlencoded or multipart body; files as (filename, bytes, type)."""
        content_type = self.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(self.body.decode(), keep_blank_values=True))
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + self.body
            )
            fields: dict[str, Any] = {}
            for part in message.iter_parts():  # type: ignore[attr-defined]
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True) or b""
                if filename:
                    fields[name] = (filename, payload, part.get_content_type())
                else:
                    fields[name] = payload.decode()
            return fields
        if content_type.startswith("application/json"):
            data = self.json()
            return data if isinstance(data, dict) else {}
        return {}

    def params(self) -> dict[str, Any]:
        return {**self.query, **self.form()}


Handler = Callable[[Call, "re.Match[str]"], Reply]
P = TypeVar("P", bound="FakePlatform")


class FakePlatform:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.url = ""
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._scripted: list[tuple[re.Pattern[str], Reply]] = []
        self._lock = threading.Lock()

    # --- for subclasses and tests -------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def fail_next(self, path_pattern: str, *replies: Reply) -> None:
        """The next requests whose path matches get these replies, in order, instead of
        the normal answer."""
        with self._lock:
            self._scripted.extend((re.compile(path_pattern), r) for r in replies)

    def requests_to(self, path_pattern: str) -> list[Call]:
        pattern = re.compile(path_pattern)
        return [c for c in self.calls if pattern.search(c.path)]

    # --- serving ---------------------------------------------------------------------------

    def _answer(self, call: Call) -> Reply:
        with self._lock:
            self.calls.append(call)
            for index, (pattern, reply) in enumerate(self._scripted):
                if pattern.search(call.path):
                    del self._scripted[index]
                    return reply
        for method, pattern, handler in self._routes:
            if method in (call.method, "*"):
                match = pattern.fullmatch(call.path)
                if match:
                    return handler(call, match)
        return Reply(404, {"error": f"no route for {call.method} {call.path}"})

    @contextmanager
    def running(self: P) -> Iterator[P]:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                call = Call(
                    recorded=Recorded(
                        method=self.command,
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    ),
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                )
                reply = fake._answer(call)
                raw = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(raw)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        httpd.daemon_threads = True
        host, port = httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()
