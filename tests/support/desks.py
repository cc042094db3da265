"""Desks as an operator runs them, for browser tests: `unidesk run` processes that can be
stopped and started again on the same address and data, several sharing one database
(and Redis), and a customer's own site on another origin that embeds the chat widget."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.server import free_port, fresh_database_url, run_cli


@dataclass
class DeskProcess:
    """One `unidesk run` on a fixed port; ``stop`` and ``start`` keep address and data."""

    data_dir: Path
    port: int
    env: dict[str, str]
    migrate: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        args = [sys.executable, "-m", "unidesk", "run"]
        if not self.migrate:
            args.append("--no-migrate")
        log = (self.data_dir / f"server-{self.port}.log").open("ab")
        self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"unidesk run exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"unidesk run did not become healthy:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.data_dir / f"server-{self.port}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def cli(self, *args: str) -> str:
        return run_cli(self.env, *args)


@contextmanager
def desks(data_dir: Path, *, count: int = 1, redis_url: str | None = None,
          extra_env: dict[str, str] | None = None) -> Iterator[list[DeskProcess]]:  # fmt: skip
    """``count`` server processes over one database (and one Redis when given). The
    first migrates; the others start once it is up."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "UNIDESK_DATA_DIR": str(data_dir),
        "UNIDESK_DEMO": "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)
    database = fresh_database_url("e2e_chat")
    if database:
        env["DATABASE_URL"] = database
    if redis_url:
        env["REDIS_URL"] = redis_url
    started: list[DeskProcess] = []
    try:
        for index in range(count):
            port = free_port()
            process = DeskProcess(
                data_dir=data_dir,
                port=port,
                env={**env, "UNIDESK_BIND": f"127.0.0.1:{port}"},
                migrate=index == 0,
            )
            process.start()
            started.append(process)
        yield started
    finally:
        for process in started:
            process.stop()


@dataclass
class Site:
    """The customer's own site: ``url`` serves ``html``."""

    url: str = ""
    html: str = "<!doctype html><title>empty</title>"


@contextmanager
def customer_site() -> Iterator[Site]:
    """A page of the customer's own site, served from another origin than the desk."""
    site = Site()

    class Page(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            body = site.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def shop_page(desk_url: str, key: str, *, lang: str = "ru") -> str:
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Магазин</title></head>
<body><h1>Магазин «Ромашка»</h1><p>Товары для дома.</p>
<script src="{desk_url}/widget.js" data-channel="{key}" async></script>
</body></html>"""
