"""The channel adapter interface and the plain data that crosses it.

An adapter knows one platform and nothing about tickets:

* ``verify(request)`` checks a webhook's secret or signature (raises ``VerificationFailed``);
* ``parse_inbound(request)`` turns a platform payload into ``InboundMessage`` and
  ``DeliveryUpdate`` values, without touching the database or the network;
* ``send(outbound)`` delivers one reply and returns a ``DeliveryResult``, raising
  ``TransientError`` (try again later) or ``PermanentError`` (stop, tell the agent why).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from unidesk.core.inputs import has_lone_surrogate, storable, storable_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ChannelError(Exception):
    """Base for adapter errors; the message is shown to agents, so make it readable."""


class TransientError(ChannelError):
    """The platform may accept the same request later (timeouts, 429, 5xx).
    ``retry_after`` is the platform's own hint in seconds (HTTP Retry-After, Telegram's
    ``parameters.retry_after``); the outbox never retries sooner than that."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    """Retrying the same request cannot succeed (bad token, unknown recipient, 4xx)."""


class VerificationFailed(ChannelError):
    """A webhook failed authentication. ``status`` is 401 (no or wrong credentials) or
    403 (a signature that does not match)."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class InvalidPayload(ChannelError):
    """A webhook body that cannot be understood; ``fields`` names what is wrong."""

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


# Reading platform JSON: a field may hold anything, whatever the platform's documentation
# says, and a payload of the right shape with one odd field is still read, not refused.


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, otherwise an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, otherwise an empty one."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A string or a number as text; anything else (objects, arrays, booleans, null) as
    the empty string."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)


def as_int(value: Any, default: int = 0) -> int:
    """An integer, or a string or float holding one; ``default`` for anything else."""
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _storable(instance: object) -> None:
    """Make a frozen value's strings, tuples and mappings storable: platforms pass on
    whatever a customer typed (or a JSON escape spelled), and the database can store
    neither a NUL nor a lone surrogate (``core.inputs``)."""
    for name, value in vars(instance).items():
        if isinstance(value, str):
            if "\x00" in value or has_lone_surrogate(value):
                object.__setattr__(instance, name, storable_text(value))
        elif isinstance(value, Mapping):
            object.__setattr__(instance, name, storable(dict(value)))
        elif isinstance(value, tuple) and any(
            isinstance(v, str) and ("\x00" in v or has_lone_surrogate(v)) for v in value
        ):
            object.__setattr__(instance, name, storable(value))


@dataclass(frozen=True)
class IdentityRef:
    kind: str
    value: str

    def __post_init__(self) -> None:
        _storable(self)


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str = ""
    data: bytes | None = None
    content_id: str = ""
    inline: bool = False
    # Why the file is not here (too large, could not be decoded or downloaded); the
    # message is still stored and the agent sees what is missing.
    error: str = ""
    size: int = 0
    # The platform's handle for a file still to be fetched (a Telegram file_id, a WhatsApp
    # media id, a CDN URL): ``parse_inbound`` names it, ``fetch`` downloads it later.
    remote_ref: str = ""

    def __post_init__(self) -> None:
        _storable(self)


@dataclass(frozen=True)
class InboundMessage:
    external_id: str
    identity: IdentityRef
    text: str = ""
    html: str = ""
    name: str = ""
    subject: str = ""
    thread_key: str = ""
    # Platform ids of earlier messages this one answers (email In-Reply-To/References).
    references: tuple[str, ...] = ()
    sent_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    cc: tuple[IdentityRef, ...] = ()
    is_public: bool = False
    # An automatic message (vacation notice…): kept on the ticket, does not reopen it.
    auto_reply: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # A ticket number the sender quoted (email's "[#1234]" subject token). It continues
    # that ticket only when the sender already takes part in it, after references.
    ticket_number: int | None = None

    def __post_init__(self) -> None:
        _storable(self)


@dataclass(frozen=True)
class DeliveryUpdate:
    """The platform reports on one of our outgoing messages."""

    external_id: str
    status: Literal["sent", "delivered", "read", "failed"]
    error: str = ""

    def __post_init__(self) -> None:
        _storable(self)


@dataclass(frozen=True)
class InboundEdit:
    """The customer edited a message they sent earlier; ``message`` is the new version
    (same ``external_id``)."""

    message: InboundMessage
    edited_at: datetime | None = None


@dataclass(frozen=True)
class OutboundEcho:
    """A message our side of the conversation sent outside unidesk (from the platform's own
    app, by the page itself). Stored as outgoing; never ingested as the customer's."""

    external_id: str
    recipient: IdentityRef
    text: str = ""
    thread_key: str = ""
    sent_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    author_name: str = ""
    is_public: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _storable(self)


InboundEvent = InboundMessage | DeliveryUpdate | InboundEdit | OutboundEcho


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    idempotency_key: str
    ticket_id: int
    ticket_number: int
    subject: str
    text: str
    html: str
    author_name: str
    recipient: IdentityRef | None
    thread_key: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    cc: tuple[IdentityRef, ...] = ()
    bcc: tuple[IdentityRef, ...] = ()
    attachments: tuple[OutboundAttachment, ...] = ()
    is_public: bool = False
    created_at: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # Who wrote it: "agent", or "auto_reply"/"bot"/"system" for messages nobody typed
    # (email marks those Auto-Submitted so other robots do not answer them; the web chat
    # marks the bot's).
    origin: str = "agent"


@dataclass(frozen=True)
class DeliveryResult:
    external_id: str = ""
    status: Literal["sent", "delivered"] = "sent"
    # Recorded by the demo transport (``channels.demo_delivery``): nobody received it.
    # ``saved_as`` names the file under the demo outbox that holds it, if one was written.
    demo: bool = False
    saved_as: str = ""


@dataclass(frozen=True)
class RenderedMessage:
    """An outgoing message in the platform's own format, as a file (an email's .eml)."""

    suffix: str
    content: bytes
    # The id the platform would know it by (an email's Message-ID, without brackets).
    external_id: str = ""


@dataclass(frozen=True)
class WebhookRequest:
    """What an adapter sees of an HTTP request: no framework objects."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class HandshakeResponse:
    """A plain response some platforms require on GET (verify tokens, confirmations)."""

    status: int
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class ChannelConfig:
    id: int
    kind: str
    key: str
    name: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, Any]
    base_url: str = ""

    def setting(self, name: str, default: str = "") -> str:
        value = self.settings.get(name, default)
        return str(value) if value is not None else default

    def secret(self, name: str) -> str:
        return str(self.secrets.get(name, "") or "")


class ChannelAdapter:
    kind: ClassVar[str]
    # Names accepted by `channel add … --set name=value`; those in secret_settings are
    # stored encrypted and never shown again in full.
    settings_names: ClassVar[frozenset[str]] = frozenset()
    secret_settings: ClassVar[frozenset[str]] = frozenset()
    # What the channel's own inbound secret (``secret``, generated by ``channel_add`` unless
    # given) is for, told to the administrator on the page that shows it once; empty when
    # this kind does not use it (the platform signs with credentials of its own).
    inbound_secret_use: ClassVar[StrOrPromise] = ""
    # A public thread (a wall comment) can be continued in private messages.
    can_continue_privately: ClassVar[bool] = False
    # The channel answers every new conversation itself (email's acknowledgement names the
    # ticket and when a person will answer), so general out-of-hours replies skip it.
    acknowledges_new_tickets: ClassVar[bool] = False
    # Settings a new channel of this kind starts with unless given.
    default_settings: ClassVar[Mapping[str, str]] = {}
    # The largest webhook body accepted; platform webhooks are small JSON documents that
    # name their files, a kind whose webhooks carry files raises it.
    max_webhook_bytes: ClassVar[int] = 1024 * 1024

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    @classmethod
    def settings_problems(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """What is wrong with the plain settings about to be saved (name → reason), so
        `channel add` and the administration refuse them instead of storing them."""
        return {}

    def verify(self, request: WebhookRequest) -> None:
        raise VerificationFailed("this channel takes no webhooks", status=404)

    def handshake(self, request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(status=405, body="GET is not used by this channel")

    def delivery_id(self, request: WebhookRequest) -> str:
        """The platform's id of one webhook delivery, the same when the platform delivers it
        again (Telegram's ``update_id``…). The default, a hash of the body, fits platforms
        that resend the identical body. Pure, and never raises."""
        return "sha256:" + hashlib.sha256(request.body).hexdigest()

    def answer_now(self, request: WebhookRequest) -> HandshakeResponse | None:
        """A verified POST that is answered at once and not stored (VK's confirmation)."""
        return None

    def acknowledge(self, request: WebhookRequest, *, duplicate: bool) -> HandshakeResponse:
        """What the platform expects back once a delivery is safely stored."""
        body = '{"ok": true, "duplicate": true}' if duplicate else '{"ok": true}'
        return HandshakeResponse(status=200, body=body, content_type="application/json")

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        raise InvalidPayload("this channel takes no webhooks")

    def fetch(self, inbound: InboundMessage) -> InboundMessage:
        """Complete a parsed message with what needs the network (files named by
        ``remote_ref``). Called in a worker, outside any transaction. Raises
        ``TransientError`` to be tried again later; a file that can never be fetched comes
        back with its ``error`` set, and the message is stored without it."""
        return replace(inbound, attachments=self.fetch_files(inbound.attachments))

    def fetch_files(
        self, attachments: tuple[InboundAttachment, ...]
    ) -> tuple[InboundAttachment, ...]:
        fetched = []
        for attachment in attachments:
            result = attachment
            if attachment.remote_ref and attachment.data is None and not attachment.error:
                try:
                    result = self.download(attachment)
                except PermanentError as exc:
                    result = replace(attachment, error=str(exc)[:300])
            fetched.append(result)
        return tuple(fetched)

    def download(self, attachment: InboundAttachment) -> InboundAttachment:
        """Fetch one file named by ``attachment.remote_ref``; returns it with ``data``."""
        raise PermanentError(f"{self.kind} channels cannot download files")

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        raise PermanentError(f"{self.kind} channels cannot send messages")

    def render(self, outbound: OutboundMessage) -> RenderedMessage | None:
        """The message ``send`` would deliver, as a file a person can open, for kinds whose
        format is one (email). Pure: no network. None for the others."""
        return None

    def connect(self) -> str:
        """Set the channel up at the platform where that can be automated (register the
        webhook URL…); returns what was done, for the operator. May use the network."""
        return f"Nothing to set up automatically for {self.kind}; see docs/channels/."

    def private_thread_key(self, recipient: IdentityRef) -> str:
        """The thread key of a private conversation with ``recipient`` (used when a
        public thread continues in private messages)."""
        return recipient.value
