"""Finding where the customer's new words end: quoted history and signatures of replies.

Nothing is removed. ``split_text`` and ``split_html`` say where the reply ends and the
rest (the signature, the quoted earlier messages) begins, so the timeline can show the new
words and fold the rest away behind one click. Forwarded messages are content, not
history: their text is never folded.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from typing import Literal

HiddenKind = Literal["quote", "signature"]


@dataclass(frozen=True)
class Split:
    reply: str
    hidden: str
    kind: HiddenKind


# "On Mon, 7 Dec 2026 at 10:00, Anna <a@b.c> wrote:", "7 дек. 2026 г., в 10:00, Анна
# <a@b.c> написал(а):", "Пн, 7 дек. 2026 г. в 10:00, Анна <a@b.c>:" (Gmail in Russian
# ends with the address and a colon), "07.12.2026 10:00, Анна пишет:".
_ATTRIBUTION = re.compile(
    r"(?i)^\s*(?:"
    r"on\b.{4,200}\bwrote:\s*$"
    r"|.{4,200}\b(?:wrote|writes):\s*$"
    r"|.{4,200}(?:написал(?:\(а\)|а)?|пишет|писал(?:\(а\)|а)?)\s*:\s*$"
    r"|.{4,200}\d{1,2}:\d{2}.{0,120}<[^<>@\s]+@[^<>\s]+>:\s*$"
    r"|le\b.{4,200}\ba écrit\s*:\s*$"
    r"|am\b.{4,200}\bschrieb.{0,80}:\s*$"
    r")"
)
_ORIGINAL = re.compile(
    r"(?i)^\s*(?:-{2,}\s*)?(?:original message|исходное сообщение|"
    r"оригинальное сообщение)(?:\s*-{2,})?\s*$"
)
# Outlook's reply header: "From: …" then "Sent:"/"Date:" within the next lines.
_OUTLOOK_FROM = re.compile(r"(?i)^\s*\*?(?:from|от|de|von)\s*:\*?\s+\S")
_OUTLOOK_SENT = re.compile(r"(?i)^\s*\*?(?:sent|date|отправлено|дата|envoyé|gesendet)\s*:\*?\s+\S")
_FORWARD = re.compile(
    r"(?i)^\s*(?:-{2,}\s*(?:forwarded message|пересылаемое сообщение|"
    r"перенаправленное сообщение|пересланное сообщение|forwarded by)"
    r"|begin forwarded message:|начало переадресованного сообщения:)"
)
_SIG_DELIMITER = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(
    r"(?i)^\s*(?:sent from my \w+|sent from (?:yandex|mail\.ru|outlook|gmail)|"
    r"get outlook for|отправлено (?:с|из) (?:моего )?(?:iphone|ipad|android|мобильной|"
    r"яндекс|mail\.ru|почты)|отправлено с устройства)"
)


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _FORWARD.match(line):
            return None
        if _ORIGINAL.match(line):
            return index
        if _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_SENT.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
        if _is_attribution(lines, index):
            return index
        if line.startswith(">") and _only_quotes_after(lines[index:]):
            return index
    return None


def _is_attribution(lines: list[str], index: int) -> bool:
    """An "… wrote:" line (possibly wrapped onto a second line) followed by a quote or a
    blank line."""
    line = lines[index]
    wrapped = index + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[index + 1]}")
    if not (_ATTRIBUTION.match(line) or wrapped):
        return False
    following = lines[index + 1 : index + 4]
    return (
        any(rest.startswith(">") for rest in following) or not following or not following[0].strip()
    )


def _only_quotes_after(lines: list[str]) -> bool:
    """The rest is quoted (a reply on top or at the bottom), not answers between quotes."""
    plain = [line for line in lines if line.strip() and not line.startswith(">")]
    return len(plain) <= 2


def _signature_start(lines: list[str], end: int) -> int | None:
    for index in range(end):
        line = lines[index]
        if _SIG_DELIMITER.match(line) or _SENT_FROM.match(line):
            return index
    return None


def split_text(text: str) -> Split | None:
    """Where the reply ends in a plain-text message, or None when it is all new text."""
    if len(text) > MAX_SPLIT_CHARS:
        return None
    lines = text.split("\n")
    quote = _quote_start(lines)
    end = quote if quote is not None else len(lines)
    signature = _signature_start(lines, end)
    cut = signature if signature is not None else quote
    if cut is None:
        return None
    reply = "\n".join(lines[:cut]).rstrip()
    hidden = "\n".join(lines[cut:]).strip("\n")
    if not reply.strip() or not hidden.strip():
        return None
    return Split(reply=reply, hidden=hidden, kind="quote" if quote is not None else "signature")


# Where mail clients start the quoted history in HTML.
_HTML_QUOTE = re.compile(
    r"""(?ix)
    <div[^<>]{1,2000}class=["']?[^"'<>]{0,500}\bgmail_quote
    | <div[^<>]{1,2000}class=["']?[^"'<>]{0,500}\bmoz-cite-prefix
    | <div[^<>]{1,2000}id=["']?(?:appendonsend|divRplyFwdMsg
                                  |mail-editor-reference-message-container)
    | <hr[^<>]{1,2000}id=["']?stopSpelling
    | <div[^<>]{1,2000}class=["']?[^"'<>]{0,500}\b(?:yahoo_quoted|OutlookMessageHeader)
    | <div[^<>]{1,2000}style=["'][^"'<>]{0,500}border-top:\s*solid\s+\#(?:E1E1E1|B5C4DF)
    | <blockquote\b
    """
)
_HTML_SIGNATURE = re.compile(
    r"""(?ix)
    <div[^<>]{1,2000}class=["']?[^"'<>]{0,500}\b(?:gmail_signature|moz-signature)
    | <div[^<>]{1,2000}id=["']?(?:Signature|signature)\b
    | (?:<br\s*/?>|<p[^<>]{0,2000}>|<div[^<>]{0,2000}>)\s*--\s*(?:&nbsp;|\s)?<br
    | <(?:div|p)[^<>]{0,2000}>\s*--\s*(?:&nbsp;)?\s*</(?:div|p)>
    """
)
_HTML_FORWARD = re.compile(
    r"(?i)(?:-{2,}\s*(?:forwarded message|пересылаемое сообщение|перенаправленное сообщение|"
    r"пересланное сообщение)|begin forwarded message:|начало переадресованного сообщения:)"
)
# "[^<>]" rather than "[^>]": a search never runs past the next tag, so hostile markup
# ("<div <div <div …") costs linear time.
_BLOCK_START = re.compile(r"(?i)<(?:div|p|br)\b[^<>]{0,2000}>")
_TAGS = re.compile(r"<[^<>]*>")


def _attribution_before(html: str, position: int) -> int:
    """The start of an "… wrote:" line just above a quote, to fold it with the quote."""
    window_start = max(0, position - 600)
    blocks = [m.start() for m in _BLOCK_START.finditer(html, window_start, position)]
    for start in reversed(blocks):
        between = html_lib.unescape(_TAGS.sub(" ", html[start:position]))
        between = re.sub(r"\s+", " ", between).strip()
        if len(between) > 300:
            break
        if between and _ATTRIBUTION.match(between):
            return start
    return position


# Beyond this the message is shown whole: the search would cost more than it saves.
MAX_SPLIT_CHARS = 2_000_000


def split_html(html: str) -> Split | None:
    """Where the reply ends in an HTML message (raw markup, before sanitising)."""
    if len(html) > MAX_SPLIT_CHARS:
        return None
    forward = _HTML_FORWARD.search(html)
    limit = forward.start() if forward else len(html)
    quote = _HTML_QUOTE.search(html, 0, limit)
    quote_at = _attribution_before(html, quote.start()) if quote else None
    signature = _HTML_SIGNATURE.search(html, 0, quote_at if quote_at is not None else limit)
    cut = signature.start() if signature else quote_at
    if cut is None:
        return None
    reply, hidden = html[:cut], html[cut:]
    if not _TAGS.sub("", reply).strip() or not _TAGS.sub("", hidden).strip():
        return None
    return Split(reply=reply, hidden=hidden, kind="quote" if quote_at is not None else "signature")
