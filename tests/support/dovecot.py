"""A real IMAP server for tests: Dovecot from Debian's packages, started on 127.0.0.1 with a
temporary configuration, maildirs and a password file (``apt-get install dovecot-imapd``;
CI installs it). Mail is put into a mailbox with a real IMAP APPEND."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from tests.support.server import free_port
from tests.support.tls import Certificates

PASSWORD = "imap-secret-password"
USERS = 500

_CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_uid = {mail_user}
mail_gid = {mail_group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
  {capability}
}}
"""


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path
    users: int = 0
    # IMAP over SSL, when started with certificates (STARTTLS is then offered on ``port``).
    ssl_port: int = 0

    def new_user(self) -> str:
        """A fresh, empty mailbox (the password file lists ``USERS`` of them from the start:
        Dovecot notices a changed file only a second later)."""
        self.users += 1
        if self.users > USERS:
            raise RuntimeError("out of test mailboxes; raise USERS")
        return f"desk{self.users}"

    def settings(self, user: str) -> dict[str, str]:
        return {
            "imap_host": self.host, "imap_port": str(self.port), "imap_security": "none",
            "imap_user": user, "imap_password": PASSWORD,
        }  # fmt: skip

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        with self.client(user) as client:
            client.append(folder, raw)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def available() -> bool:
    return shutil.which("dovecot") is not None


@contextmanager
def running_dovecot(
    root: Path, certificates: Certificates | None = None, *, idle: bool = True
) -> Iterator[Dovecot]:
    """Dovecot on a free port; ``idle=False`` hides the IDLE capability (servers without
    it are polled)."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    as_root = os.geteuid() == 0
    me = pwd.getpwuid(os.geteuid()).pw_name
    mail_user = "dovecot" if as_root else me
    for name in ("run", "state", "mail"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "users").write_text(
        "".join(f"desk{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
    )
    if as_root:
        shutil.chown(root / "mail", user=mail_user, group=mail_user)
        # Dovecot's own users must reach the maildirs below the temporary directory.
        os.chmod(root, 0o755)  # noqa: S103
    port = free_port()
    ssl_port = free_port() if certificates else 0
    tls = (
        f"ssl = yes\nssl_cert = <{certificates.cert_file}\nssl_key = <{certificates.key_file}"
        if certificates
        else "ssl = no"
    )
    config = root / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            root=root,
            port=port,
            ssl_port=ssl_port,
            ssl=tls,
            capability="" if idle else "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE",
            mail_user=mail_user,
            mail_group=mail_user,
            login_user="dovenull" if as_root else me,
            internal_user="dovecot" if as_root else me,
        )
    )
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)  # fmt: skip
    server = Dovecot(host="127.0.0.1", port=port, root=root, ssl_port=ssl_port)
    try:
        _wait_listening(port, process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_listening(port: int, process: subprocess.Popen[bytes], server: Dovecot) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"dovecot exited: {output}\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not start listening:\n{server.log()}")
