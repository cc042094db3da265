"""Mail that must never be answered automatically, and mail that is itself an answer
nobody typed.

RFC 3834 asks responders not to answer ``Auto-Submitted`` mail other than ``no``; mailing
lists and bulk senders mark themselves with ``Precedence`` and ``List-Id``; Microsoft's and
other autoresponders add ``X-Autoreply``/``X-Autorespond``/``X-Auto-Response-Suppress``;
bounces come from the mailer daemon. Answering any of these is how two robots mail each
other forever. The checks here are pure: they read headers and name the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from unidesk.channels.email.headers import Address, decode_text, raw_header

_NO_REPLY_LOCAL = re.compile(
    r"(?i)^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|mailer[-_.]?daemon|postmaster|"
    r"bounces?|noreply[-_.+].*|.*[-_.+]noreply|notifications?|auto[-_.]?reply|"
    r"auto[-_.]?responder)$"
)
_VACATION_SUBJECT = re.compile(
    r"(?i)^\s*(?:auto(?:matic)?(?:\s+reply)?\s*:|out of (?:the )?office|автоответ|"
    r"автоматический ответ|вне офиса|отсутствую|я в отпуске|abwesend|absence)"
)


@dataclass(frozen=True)
class Automation:
    """What kind of robot sent a message, if any.

    ``reason`` (empty for a person) says why the message gets no automatic answer;
    ``auto_reply`` marks an answer nobody typed (a vacation notice), which is kept on the
    ticket without reopening it."""

    reason: str = ""
    auto_reply: bool = False

    @property
    def suppress_auto_replies(self) -> bool:
        return bool(self.reason)


_TOKEN = re.compile(r"[a-z][a-z-]*")


def classify(message: Message, sender: Address | None) -> Automation:
    reason = _reason(message, sender)
    return Automation(reason, auto_reply=bool(reason) and _is_auto_reply(message))


def _auto_submitted(message: Message) -> str:
    found = _TOKEN.search(decode_text(raw_header(message, "Auto-Submitted")).lower())
    return found.group(0) if found else ""


def _is_auto_reply(message: Message) -> bool:
    """An answer nobody typed: a vacation notice or an out-of-office reply."""
    if _auto_submitted(message) == "auto-replied":
        return True
    if any(raw_header(message, name).strip() for name in _AUTOREPLY_HEADERS):
        return True
    return bool(_VACATION_SUBJECT.match(decode_text(raw_header(message, "Subject"))))


_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")


def _reason(message: Message, sender: Address | None) -> str:
    auto_value = _auto_submitted(message)
    if auto_value and auto_value != "no":
        return f"Auto-Submitted: {auto_value}"
    for name in _AUTOREPLY_HEADERS:
        if raw_header(message, name).strip():
            return name
    suppress = decode_text(raw_header(message, "X-Auto-Response-Suppress")).lower()
    if any(word in suppress for word in ("all", "autoreply", "oof")):
        return "X-Auto-Response-Suppress"
    precedence = decode_text(raw_header(message, "Precedence")).lower()
    if precedence in ("bulk", "list", "junk"):
        return f"Precedence: {precedence}"
    if raw_header(message, "List-Id").strip() or raw_header(message, "List-Unsubscribe").strip():
        return "List-Id"
    if sender is None:
        return "no sender address"
    if _NO_REPLY_LOCAL.match(sender.local):
        return f"automatic sender {sender.email}"
    if _VACATION_SUBJECT.match(decode_text(raw_header(message, "Subject"))):
        return "vacation subject"
    return ""
