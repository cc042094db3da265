"""A real SMTP server for tests (aiosmtpd on 127.0.0.1): records what arrives and can be
told to refuse recipients, fail temporarily, or refuse a login."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.server import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    host: str
    port: int
    user: str = ""
    password: str = ""
    received: list[Received] = field(default_factory=list)
    # address -> "550 5.1.1 User unknown" (or a 4xx line) answered to RCPT TO
    refuse: dict[str, str] = field(default_factory=dict)
    # answered to DATA instead of 250, once per entry
    data_replies: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def settings(self) -> dict[str, str]:
        values = {"smtp_host": self.host, "smtp_port": str(self.port), "smtp_security": "none"}
        if self.user:
            values |= {"smtp_user": self.user, "smtp_password": self.password}
        return values

    def wait_for(self, count: int, timeout: float = 15) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.sink.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.sink.data_replies:
            return self.sink.data_replies.pop(0)
        with self.sink.arrived:
            self.sink.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
            self.sink.arrived.notify_all()
        return "250 Message accepted"


@contextmanager
def smtp_sink(
    *, user: str = "", password: str = "", starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
) -> Iterator[SmtpSink]:  # fmt: skip
    sink = SmtpSink(host="127.0.0.1", port=free_port(), user=user, password=password)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:  # fmt: skip
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if user:
        options = {"authenticator": authenticate, "auth_require_tls": False}
    if starttls is not None:
        options |= {"tls_context": starttls, "require_starttls": True}
    if implicit_tls is not None:
        options |= {"ssl_context": implicit_tls}
    controller = Controller(_Handler(sink), hostname=sink.host, port=sink.port, **options)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
