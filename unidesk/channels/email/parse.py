"""One raw email in, the plain facts out: pure (no database, no network), never raising
on what real mail contains.

The standard library reads the MIME structure (``policy.default``); everything that
comes from the sender — charsets, headers, file names, HTML — is decoded and cleaned here
without trusting the labels (see ``charsets`` and ``headers``). The body is the HTML
alternative when there is one (sanitised later by the ticket services with nh3) and always
a plain-text version for search. Inline ``cid:`` images stay attachments that the timeline
shows in place; a forwarded message (``message/rfc822``) is kept as an ``.eml`` file and
its text is shown below the sender's own words.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy
from email.utils import parsedate_to_datetime

from unidesk.channels.email.bounces import Bounce, parse_bounce
from unidesk.channels.email.charsets import decode_bytes, html_charset
from unidesk.channels.email.headers import (
    Address,
    addresses,
    clean_id,
    decode_text,
    message_ids,
    raw_header,
)
from unidesk.channels.email.loops import Automation, classify
from unidesk.channels.email.quotes import Split, split_html, split_text
from unidesk.core.text import html_to_text, text_to_html

MAX_PARTS = 500
MAX_DEPTH = 60
TICKET_TOKEN = re.compile(r"\[#(\d{1,12})\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _RememberedHeaders(HeaderRegistry):
    """``policy.default``'s header registry, remembering what it parsed for one message:
    the standard library parses a header again on every access (a part's Content-Type is
    read a dozen times while walking the message), which was over half of the parsing
    time. Header objects are immutable strings, so handing out the same one is safe."""

    def __init__(self) -> None:
        super().__init__()
        self.parsed: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: str) -> BaseHeader:
        key = (name, value)
        found = self.parsed.get(key)
        if found is None:
            found = self.parsed[key] = super().__call__(name, value)
        return found


def _policy() -> EmailPolicy[EmailMessage]:
    """``policy.default`` with a header registry of its own (one per message parsed)."""
    return policy.default.clone(header_factory=_RememberedHeaders())


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    sent_at: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    html: str
    files: tuple[MailFile, ...]
    automation: Automation
    bounce: Bounce | None = None
    split: Split | None = None
    # Plain-text renderings of forwarded messages, shown below the sender's words.
    forwarded: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ticket_number(self) -> int | None:
        """The ``[#1234]`` token of the subject (the last one: replies prepend)."""
        tokens = TICKET_TOKEN.findall(self.subject)
        return int(tokens[-1]) if tokens else None


class NotAnEmail(ValueError):
    """The bytes are not an email message (no headers to speak of)."""


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one message (bytes as received). Raises ``NotAnEmail`` for input that has no
    sender and no body, whatever else; everything else parses."""
    raw = raw.replace(b"\x00", b"")
    try:
        message = BytesParser(policy=_policy()).parsebytes(raw)
    except RecursionError:
        # Nesting deeper than the parser can follow: keep the headers, and the whole
        # message as a file the agent can open.
        message = BytesHeaderParser(policy=_policy()).parsebytes(raw)
        message.set_payload("")
        body = _Body()
        body.files.append(MailFile("message.eml", "message/rfc822", raw))
        return _parsed(raw, message, body)
    if not addresses(message, "From", "Sender") and not raw_header(message, "Message-ID"):
        raise NotAnEmail("no From address and no Message-ID")
    body = _Body()
    body.collect(message, depth=0)
    return _parsed(raw, message, body)


def _parsed(raw: bytes, message: Message, body: _Body) -> ParsedMail:
    sender_list = addresses(message, "From") or addresses(message, "Sender")
    sender = sender_list[0] if sender_list else None
    text, html = body.text(), body.html()
    subject = decode_text(raw_header(message, "Subject"))
    message_id = clean_id(raw_header(message, "Message-ID"))
    if not message_id:
        # No Message-ID (a broken client): the content identifies it, so a re-delivery
        # of the same bytes is still recognised.
        message_id = "sha256-" + hashlib.sha256(raw).hexdigest()[:40] + "@unidesk.invalid"
    split = split_html(html) if html else split_text(text) if text else None
    return ParsedMail(
        message_id=message_id,
        sender=sender,
        reply_to=tuple(addresses(message, "Reply-To")),
        to=tuple(addresses(message, "To")),
        cc=tuple(addresses(message, "Cc")),
        subject=subject,
        sent_at=_date(raw_header(message, "Date")),
        in_reply_to=tuple(message_ids(raw_header(message, "In-Reply-To"))),
        references=tuple(message_ids(" ".join(_all(message, "References")))),
        text=text,
        html=html,
        files=tuple(body.files),
        automation=classify(message, sender),
        bounce=parse_bounce(message, sender),
        split=split,
        forwarded=tuple(body.forwarded),
        defects=tuple(sorted({type(d).__name__ for d in _defects(message)})),
    )


def _all(message: Message, name: str) -> list[str]:
    return [
        str(value)
        for key, value in message.raw_items()
        if key.lower() == name.lower()  # type: ignore[attr-defined]
    ]


def _defects(message: Message) -> list[object]:
    found: list[object] = []
    for index, part in enumerate(message.walk()):
        if index > MAX_PARTS:
            break
        found += list(getattr(part, "defects", []))
    return found


def _date(raw: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        parsed = parsedate_to_datetime(decode_text(raw))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None or not 1970 <= parsed.year <= 2200:
        return None
    return parsed


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        inner = part.get_payload()
        payload = inner.encode("utf-8", "surrogateescape") if isinstance(inner, str) else b""
    declared = part.get_content_charset()
    if not declared and part.get_content_type() == "text/html":
        declared = html_charset(payload)
    return decode_bytes(payload, declared)


def part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()
    if isinstance(inner, list):
        return b"".join(p.as_bytes() for p in inner if isinstance(p, Message))
    return str(inner or "").encode("utf-8", "surrogateescape")


def clean_filename(raw: str, fallback: str) -> str:
    """Only a name: no directories, no control characters or header breaks, no leading
    dots. The ticket services apply their own rules on top when storing."""
    name = _CONTROL.sub("", raw or "").replace("\x00", "")
    name = re.split(r"[\\/]", name)[-1].strip().lstrip(".").strip()
    name = re.sub(r'[<>:"|?*]', "_", name)
    return name[:200] or fallback


_EXTENSIONS = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
    "application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html",
    "message/rfc822": ".eml", "text/calendar": ".ics",
}  # fmt: skip


class _Body:
    """Walks the MIME tree once: the body alternatives, files, forwarded messages."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.htmls: list[str] = []
        self.files: list[MailFile] = []
        self.forwarded: list[str] = []
        self.parts_seen = 0

    def collect(self, part: Message, *, depth: int) -> None:
        self.parts_seen += 1
        if depth > MAX_DEPTH or self.parts_seen > MAX_PARTS:
            # Too deep or too many parts to show: kept whole as a file, not lost.
            if not any(f.filename == "rest-of-message.eml" for f in self.files):
                self.files.append(
                    MailFile("rest-of-message.eml", "message/rfc822", part.as_bytes())
                )
            return
        kind = part.get_content_type()
        if kind == "message/rfc822" or (
            kind.startswith("message/") and isinstance(part.get_payload(), list)
        ):
            self._forwarded(part)
            return
        if kind.startswith("multipart/") and not part.is_multipart():
            # A multipart without a usable boundary: its body is all there is to read.
            self.plain.append(part_text(part))
            return
        if part.is_multipart():
            children = [p for p in part.get_payload() if isinstance(p, Message)]  # type: ignore[union-attr]
            if kind == "multipart/alternative":
                self._alternative(children, depth)
            else:
                for child in children:
                    self.collect(child, depth=depth + 1)
            return
        disposition = (part.get_content_disposition() or "").lower()
        is_attachment = disposition == "attachment" or (
            bool(part.get_filename()) and disposition != "inline"
        )
        if kind in ("text/plain", "text/html") and not is_attachment:
            (self.htmls if kind == "text/html" else self.plain).append(part_text(part))
            return
        self._file(part, kind)

    def _alternative(self, children: list[Message], depth: int) -> None:
        """Of the alternatives, the richest one we can show (the last HTML-bearing one),
        and the plain one for the text version."""
        rich = [c for c in children if c.get_content_type() != "text/plain"]
        plain = [c for c in children if c.get_content_type() == "text/plain"]
        if plain:
            self.plain.append(part_text(plain[-1]))
        if rich:
            before = len(self.plain)
            self.collect(rich[-1], depth=depth + 1)
            # A multipart/related inside the alternative may bring its own plain part;
            # the alternative's plain one says the same.
            del self.plain[before:]

    def _file(self, part: Message, kind: str) -> None:
        content_id = clean_id(str(part.get("Content-ID", "") or ""))
        raw_name = part.get_filename() or ""
        try:
            name = decode_text(raw_name)
        except (TypeError, ValueError):
            name = ""
        fallback = f"{'image' if kind.startswith('image/') else 'attachment'}" + _EXTENSIONS.get(
            kind, ".bin"
        )
        try:
            data = part_bytes(part)
        except (ValueError, TypeError, LookupError):
            data = b""
        disposition = (part.get_content_disposition() or "").lower()
        self.files.append(
            MailFile(
                filename=clean_filename(name, fallback),
                content_type=kind,
                data=data,
                content_id=content_id,
                inline=bool(content_id) and disposition != "attachment",
            )
        )

    def _forwarded(self, part: Message) -> None:
        inner = part.get_payload()
        attached = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(attached, Message):
            self._file(part, "message/rfc822")
            return
        data = attached.as_bytes(policy=policy.default.clone(linesep="\r\n"))
        subject = decode_text(raw_header(attached, "Subject"))
        self.files.append(
            MailFile(
                filename=clean_filename(subject[:80], "forwarded") + ".eml",
                content_type="message/rfc822",
                data=data,
            )
        )
        inner_body = _Body()
        inner_body.parts_seen = self.parts_seen
        inner_body.collect(attached, depth=1)
        self.parts_seen = inner_body.parts_seen
        sender = addresses(attached, "From")
        heading = [
            f"From: {_address_line(sender[0])}" if sender else "",
            f"Date: {decode_text(raw_header(attached, 'Date'))}",
            f"Subject: {subject}",
        ]
        text = inner_body.text()
        self.forwarded.append("\n".join(line for line in heading if line) + "\n\n" + text)
        # Images of the forwarded message stay files of this one.
        self.files += inner_body.files

    def text(self) -> str:
        own = "\n\n".join(t.strip("\n") for t in self.plain if t.strip())
        if not own and self.htmls:
            own = html_to_text("\n".join(self.htmls))
        return own.replace("\r\n", "\n").replace("\r", "\n")

    def html(self) -> str:
        if not self.htmls:
            return ""
        if len(self.htmls) == 1:
            return self.htmls[0]
        # Apple Mail splits HTML around inline attachments into several parts.
        return "\n".join(self.htmls)


def _address_line(address: Address) -> str:
    return f"{address.name} <{address.email}>" if address.name else address.email


def with_forwarded(text: str, html: str, forwarded: tuple[str, ...]) -> tuple[str, str]:
    """The body with forwarded messages' text below it, in both renderings."""
    if not forwarded:
        return text, html
    divider = "---------- Forwarded message ----------"
    extra = "\n\n".join(f"{divider}\n{item}" for item in forwarded)
    new_text = f"{text}\n\n{extra}".strip()
    new_html = html + "".join("<hr>" + text_to_html(divider + "\n" + item) for item in forwarded)
    return new_text, new_html if html else ""
