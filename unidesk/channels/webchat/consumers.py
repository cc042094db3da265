"""The widget's websocket: ``/ws/webchat/<channel key>/``.

Frames are JSON objects with a ``type``. The widget says ``hello`` first (its token, the
identity its site signed, the newest message it has), and gets ``welcome`` with its
(possibly new) token and what it missed. Every message frame carries an id the widget made
up; the answer is ``ack`` with the stored message, or ``error`` with the same id, a stable
``code``, a readable ``message`` and, for rate limits, ``retry_after``: the widget keeps
the text and sends it again, and a repeat is stored once.

A frame that is too large, not JSON, of an unknown type or otherwise wrong gets an
``error`` frame; the connection stays open. Only the handshake refuses: an unknown or
switched-off channel, a page whose origin the channel does not allow, a forged identity.
See docs/webchat.md for the whole protocol.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

from unidesk.channels.models import ChannelAccount
from unidesk.channels.selectors import active_channel_for_webhook, remembered_channel
from unidesk.channels.webchat import config as widget_config
from unidesk.channels.webchat import selectors, services
from unidesk.core import realtime
from unidesk.core.errors import DomainError, NotFound, PermissionDenied
from unidesk.core.inputs import loads_untrusted
from unidesk.core.ratelimit import RateLimited
from unidesk.core.threads import in_db_thread

logger = logging.getLogger("unidesk.webchat")

MAX_FRAME = 64 * 1024
TYPING_EVERY = 1.0  # seconds between typing signals passed on to agents
_ID_IN_FRAME = re.compile(r'"id"\s*:\s*"([A-Za-z0-9_-]{1,64})"')

# Close codes the widget understands: do not reconnect after these.
CLOSE_REFUSED = 4403
CLOSE_UNKNOWN = 4404

Handler = Callable[[dict[str, Any]], Awaitable[None]]


def in_thread(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ``func`` (which may use the database) off the event loop, in the pool of
    threads that keep their connection (``core.threads``): thousands of visitors must
    not queue behind each other's queries."""
    return in_db_thread(func)


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FrameBudget:
    """Frames one connection may send: a token bucket kept in memory (no shared state, no
    I/O), against a client flooding the desk with frames that each cost a query."""

    def __init__(self, rate: float = 10.0, burst: float = 30.0) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def take(self) -> float:
        """0 if the frame may go, else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class VisitorConsumer(AsyncWebsocketConsumer):
    account: ChannelAccount
    session: services.Session | None = None
    ticket_id: int | None = None
    _last_typing: float = 0.0
    _group: str = ""
    budget: FrameBudget

    # --- the handshake ------------------------------------------------------------------

    async def connect(self) -> None:
        key = str(self.scope["url_route"]["kwargs"].get("key", ""))
        # Widgets reconnect in waves after a restart: the channel is usually remembered.
        account = remembered_channel(kind="webchat", key=key)
        if account is None:
            try:
                account = await in_thread(active_channel_for_webhook)(kind="webchat", key=key)
            except NotFound:
                await self.close(code=CLOSE_UNKNOWN)
                return
        self.account = account
        self.budget = FrameBudget()
        conf = widget_config.parse(self.account.key, self.account.settings)
        if not conf.origin_allowed(self._header("origin")):
            await self.close(code=CLOSE_REFUSED)
            return
        await self.accept()
        try:
            if services.connection_limit_applies():
                await in_thread(services.connection_allowed)(ip=self._ip())
        except RateLimited as exc:
            await self._error("rate_limited", exc.message, retry_after=exc.retry_after)
            await self.close(code=4429)

    async def disconnect(self, code: int) -> None:
        if self._group:
            await self.channel_layer.group_discard(self._group, self.channel_name)
        if self.ticket_id and self._last_typing:
            await self._tell_agents_typing(active=False)

    def _header(self, name: str) -> str:
        wanted = name.encode()
        for header, value in self.scope.get("headers", []):
            if header == wanted:
                return str(value.decode("latin-1"))
        return ""

    def _ip(self) -> str:
        client = self.scope.get("client") or ("", 0)
        return str(client[0] or "")

    # --- frames from the widget ---------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame_id = None
        try:
            wait = self.budget.take()
            if wait > 0:
                found = _ID_IN_FRAME.search((text_data or "")[:300])
                frame_id = found.group(1) if found else None
                raise RateLimited(_("Too many frames at once; slow down."), retry_after=wait)
            if text_data is None:
                raise FrameError("binary", _("Send text frames with JSON."))
            if len(text_data) > MAX_FRAME:
                found = _ID_IN_FRAME.search(text_data[:300])
                frame_id = found.group(1) if found else None
                raise FrameError("too_large", _("The message is too long."))
            frame = _parse(text_data)
            frame_id = frame.get("id") if isinstance(frame.get("id"), str) else None
            handler = self._handlers().get(frame["type"])
            if handler is None:
                raise FrameError("unknown_type", _("Unknown frame type."))
            if self.session is None and frame["type"] not in ("hello", "ping"):
                raise FrameError("hello_first", _("Say hello first."))
            await handler(frame)
        except FrameError as exc:
            await self._error(exc.code, exc.message, frame_id=frame_id)
        except RateLimited as exc:
            await self._error(exc.code, exc.message, frame_id=frame_id, retry_after=exc.retry_after)
        except DomainError as exc:
            await self._error(exc.code, exc.message, frame_id=frame_id)
        except Exception:
            logger.exception("web chat frame failed on channel %s", self.account.pk)
            await self._error(
                "server_error", _("Something went wrong; we will try again."), frame_id=frame_id
            )

    def _handlers(self) -> dict[str, Handler]:
        return {
            "hello": self.on_hello,
            "ping": self.on_ping,
            "message": self.on_message,
            "contact": self.on_contact,
            "typing": self.on_typing,
            "read": self.on_read,
            "delivered": self.on_delivered,
            "prechat": self.on_prechat,
            "verify": self.on_verify,
            "resend_code": self.on_resend_code,
        }

    async def _call(
        self, func: Callable[..., Any], *, speak: str | None = None, **kwargs: Any
    ) -> Any:
        """Run a service in the database thread, speaking the visitor's language (or
        ``speak``, before the visitor's session exists)."""
        language = speak or (self.session.language if self.session else "en")

        def run() -> Any:
            with translation.override(language):
                return func(**kwargs)

        return await in_thread(run)()

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self._send({"type": "pong"})

    async def on_hello(self, frame: dict[str, Any]) -> None:
        start: dict[str, Any] = {
            "account": self.account,
            "token": frame.get("token"),
            "identity": frame.get("identity"),
            "page_url": frame.get("page"),
            "user_agent": self._header("user-agent"),
            "ip": self._ip(),
            "language": frame.get("lang"),
        }
        language = services.language_of(frame.get("lang"))
        try:
            if services.session_needs_database(self.account, token=start["token"],
                                               identity=start["identity"]):  # fmt: skip
                session = await self._call(services.session_start, speak=language, **start)
            else:
                # A new anonymous visitor (most page views): nothing to read.
                with translation.override(language):
                    session = services.session_start(**start)
        except PermissionDenied as exc:
            # A forged identity, or none where the site requires one: nothing more to say.
            await self._error(exc.code, exc.message)
            await self.close(code=CLOSE_REFUSED)
            return
        if self._group and self._group != session.group:
            await self.channel_layer.group_discard(self._group, self.channel_name)
        # Join before reading the history: a reply sent in between arrives by push.
        self.session, self._group = session, session.group
        await self.channel_layer.group_add(session.group, self.channel_name)
        after = frame.get("after")
        after = after if isinstance(after, int) else 0
        if session.stored or session.signed:
            self.ticket_id, welcome = await self._call(_welcome, session=session, after=after)
        else:
            self.ticket_id, welcome = _welcome(session=session, after=after)
        await self._send(welcome)

    async def on_message(self, frame: dict[str, Any]) -> None:
        await self._store(
            frame,
            services.message_receive,
            text=frame.get("text"),
            button=frame.get("button"),
        )

    async def on_contact(self, frame: dict[str, Any]) -> None:
        await self._store(frame, services.visitor_email_left, email=frame.get("email"))

    async def _store(
        self, frame: dict[str, Any], service: Callable[..., Any], **kwargs: Any
    ) -> None:
        session = self.session
        assert session is not None

        def store() -> tuple[int, dict[str, Any]]:
            result = service(
                account=self.account,
                session=session,
                client_id=frame.get("id"),
                source=self.channel_name,
                **kwargs,
            )
            # Messages over the websocket carry no files (uploads go over HTTP).
            payload = selectors.message_payload(
                result.message,
                channel_key=session.channel_key,
                public_id=session.public_id,
                with_files=False,
            )
            return result.ticket.pk, payload

        self.ticket_id, payload = await self._call(store)
        # The visitor's row exists now: later messages need not look for it.
        self.session = replace(session, stored=True)
        await self._send({"type": "ack", "id": frame.get("id"), "message": payload})

    async def on_typing(self, frame: dict[str, Any]) -> None:
        active = bool(frame.get("active", True))
        now = time.monotonic()
        if active and now - self._last_typing < TYPING_EVERY:
            return
        self._last_typing = now if active else 0.0
        if self.ticket_id:
            await self._tell_agents_typing(active=active)

    async def _tell_agents_typing(self, *, active: bool) -> None:
        assert self.ticket_id is not None
        await self.channel_layer.group_send(
            realtime.ticket_group(self.ticket_id),
            {"type": "ticket.typing", "ticket": self.ticket_id, "who": "customer",
             "agent": None, "active": active},
        )  # fmt: skip

    async def on_read(self, frame: dict[str, Any]) -> None:
        await self._saw(frame, read=True)

    async def on_delivered(self, frame: dict[str, Any]) -> None:
        await self._saw(frame, read=False)

    async def _saw(self, frame: dict[str, Any], *, read: bool) -> None:
        await self._call(services.visitor_saw, session=self.session, until=frame.get("until"),
                         read=read)  # fmt: skip

    async def on_prechat(self, frame: dict[str, Any]) -> None:
        profile = await self._call(
            services.prechat_submit,
            session=self.session,
            name=frame.get("name"),
            email=frame.get("email"),
        )
        await self._send_profile(profile)

    async def on_verify(self, frame: dict[str, Any]) -> None:
        profile = await self._call(
            services.email_code_verify, session=self.session, code=frame.get("code")
        )
        await self._send_profile(profile)

    async def on_resend_code(self, frame: dict[str, Any]) -> None:
        sent = await self._call(services.email_code_send, session=self.session)
        if not sent:
            raise FrameError("code_limit", _("Too many codes asked for. Try again in an hour."))
        await self._send({"type": "code_sent"})

    async def _send_profile(self, profile: services.Profile) -> None:
        if self.session is not None:
            self.session = replace(self.session, stored=True)
        await self._send(
            {
                "type": "profile",
                "profile": {
                    "name": profile.name,
                    "email": profile.email,
                    "verified": profile.verified,
                },
                "code_sent": profile.code_sent,
            }
        )

    # --- pushes from the desk (channel layer) ---------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        session = self.session
        if session is None or event.get("except") == self.channel_name:
            return
        if isinstance(event.get("payload"), dict):
            await self._send({"type": "message", "message": event["payload"]})
            return

        def load() -> tuple[int, dict[str, Any]] | None:
            message = selectors.conversation_message(
                session.channel_id, session.thread_key, int(event["message_id"])
            )
            if message is None:
                return None
            payload = selectors.message_payload(
                message, channel_key=session.channel_key, public_id=session.public_id
            )
            return message.ticket_id, payload

        loaded = await in_thread(load)()
        if loaded is not None:
            self.ticket_id, payload = loaded
            await self._send({"type": "message", "message": payload})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        await self._send(
            {"type": "typing", "name": event.get("name", ""), "active": event.get("active")}
        )

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self._send({"type": "read", "until": event.get("until", 0)})

    # --- sending --------------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    async def _error(
        self,
        code: str,
        message: str,
        *,
        frame_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if frame_id:
            frame["id"] = frame_id
        if retry_after is not None:
            frame["retry_after"] = round(retry_after, 1)
        await self._send(frame)


def _parse(text: str) -> dict[str, Any]:
    try:
        frame = loads_untrusted(text)
    except ValueError:
        raise FrameError("malformed", _("The frame is not JSON.")) from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("malformed", _("A frame is a JSON object with a type."))
    return frame


def _welcome(*, session: services.Session, after: int) -> tuple[int | None, dict[str, Any]]:
    """The answer to hello: the visitor's token, who we know them as, and what they
    missed (a visitor without a stored row has no history, and costs no query)."""
    visitor = services.visitor_of(session) if session.stored else None
    if visitor is not None:
        services.visitor_returned(session)
    has_history = visitor is not None or session.signed
    messages = (
        selectors.history(session.channel_id, session.thread_key, after=max(0, after))
        if has_history
        else []
    )
    ticket_id = (
        selectors.current_ticket_id(session.channel_id, session.thread_key) if has_history else None
    )
    profile = services.profile_of(visitor, session)
    return ticket_id, {
        "type": "welcome",
        "token": session.token,
        "profile": {"name": profile.name, "email": profile.email, "verified": profile.verified},
        "signed": session.signed,
        "messages": [
            selectors.message_payload(
                m, channel_key=session.channel_key, public_id=session.public_id
            )
            for m in messages
        ],
        "read_until": (
            selectors.read_by_agents_until(session.channel_id, session.thread_key)
            if has_history
            else 0
        ),
    }
