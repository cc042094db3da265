"""Start the real `unidesk run` in a subprocess, as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database_url(suffix: str) -> str | None:
    """A new empty PostgreSQL database beside the one the suite uses, or None on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return None
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def run_cli(env: dict[str, str], *args: str) -> str:
    """``unidesk ARGS`` against the desk that ``env`` points at; its output, or a failed test."""
    result = subprocess.run(
        [sys.executable, "-m", "unidesk", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"unidesk {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class RunningDesk:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[str]

    def cli(self, *args: str) -> str:
        return run_cli(self.env, *args)

    def output(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        return out


@contextmanager
def running_desk(data_dir: Path, *, demo: bool = False, extra_env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> Iterator[RunningDesk]:  # fmt: skip
    port = free_port()
    env = {
        **os.environ,
        "UNIDESK_DATA_DIR": str(data_dir),
        "UNIDESK_BIND": f"127.0.0.1:{port}",
        "UNIDESK_DEMO": "1" if demo else "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    database = fresh_database_url("e2e")
    if database:
        env["DATABASE_URL"] = database
    process = subprocess.Popen(
        [sys.executable, "-m", "unidesk", "run", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield RunningDesk(url=url, env=env, process=process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 90) -> None:
    """Poll /healthz until the server answers (startup migrates, so it takes a while)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"unidesk run exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("unidesk run did not become healthy in time")
