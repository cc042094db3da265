"""Delivery status notifications (RFC 3464): which of our messages did not arrive, and why.

A bounce is a report about a message we sent, not a customer writing. It is recognised by
its ``multipart/report; report-type=delivery-status`` shape, or (for servers that send plain
text) by coming from the mailer daemon and quoting our Message-ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from django.utils.translation import gettext

from unidesk.channels.email.charsets import decode_bytes
from unidesk.channels.email.headers import Address, clean_id, raw_header

_DAEMON = re.compile(r"(?i)^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)$")
_QUOTED_ID = re.compile(r"(?im)^\s*Message-ID:\s*<([^<>\s]+)>")
_STATUS_LINE = re.compile(r"(?im)^(Action|Status|Diagnostic-Code|Final-Recipient):\s*(.+)$")


@dataclass(frozen=True)
class Bounce:
    original_message_id: str
    failed: bool
    reason: str


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()
    if isinstance(inner, list):
        return b"\n".join(p.as_bytes() for p in inner if isinstance(p, Message))
    return str(inner or "").encode("utf-8", "surrogateescape")


def is_report(message: Message) -> bool:
    return message.get_content_type() == "multipart/report"


def parse_bounce(message: Message, sender: Address | None) -> Bounce | None:
    """The bounce in ``message``, or None when it is not one."""
    report = is_report(message)
    daemon = sender is not None and bool(_DAEMON.match(sender.local))
    if not report and not daemon:
        return None
    original = ""
    statuses: list[tuple[str, str]] = []
    text_parts: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            original = original or _original_id(part)
        elif kind == "message/delivery-status":
            report_text = decode_bytes(_payload_bytes(part), "utf-8")
            statuses += _STATUS_LINE.findall(re.sub(r"\r?\n[ \t]+", " ", report_text))
        elif kind == "text/plain":
            text = decode_bytes(_payload_bytes(part), part.get_content_charset())
            text_parts.append(text)
    if not original:
        for text in text_parts:
            found = _QUOTED_ID.search(text)
            if found:
                original = clean_id(found.group(1))
                break
    if not original:
        original = (
            clean_id(raw_header(message, "In-Reply-To").split()[0])
            if raw_header(message, "In-Reply-To").strip()
            else ""
        )
    if not original and not report:
        return None
    actions = [value.strip().lower() for name, value in statuses if name.lower() == "action"]
    failed = not actions or any(action == "failed" for action in actions)
    return Bounce(original_message_id=original, failed=failed, reason=_reason(statuses, text_parts))


def _original_id(part: Message) -> str:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        return clean_id(str(inner[0].get("Message-ID", "") or ""))
    headers = BytesHeaderParser(policy=default_policy).parsebytes(_payload_bytes(part))
    return clean_id(str(headers.get("Message-ID", "") or ""))


def _reason(statuses: list[tuple[str, str]], text_parts: list[str]) -> str:
    values = {name.lower(): value.strip() for name, value in statuses}
    recipient = values.get("final-recipient", "").split(";")[-1].strip()
    diagnostic = values.get("diagnostic-code", "").split(";", 1)[-1].strip()
    status = values.get("status", "")
    if diagnostic or status:
        parts = [p for p in (recipient, status, diagnostic) if p]
        return " — ".join(parts)[:500]
    first = next((t.strip() for t in text_parts if t.strip()), "")
    return " ".join(first.split())[:300] or gettext("The receiving server returned the message.")
