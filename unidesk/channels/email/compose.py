"""Building the email of one outgoing message: headers that thread in every mail client,
text and HTML alternatives, link buttons, attachments. Pure: no network."""

from __future__ import annotations

import html as html_lib
import re
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, formatdate
from typing import Any

from unidesk.channels.base import OutboundMessage
from unidesk.core.text import text_to_html

MAX_REFERENCES = 20
# Messages nobody typed, by origin: an acknowledgement answers the customer's message; a
# survey or a bot's message is generated (RFC 3834).
AUTO_SUBMITTED = {"auto_reply": "auto-replied", "bot": "auto-generated", "system": "auto-generated"}
_REPLY_PREFIX = re.compile(r"(?i)^\s*(?:re|ответ|aw|sv|antw)\s*(?:\[\d+\])?\s*:\s*")
_HEADER_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def one_header_line(value: str, limit: int = 300) -> str:
    """A value that cannot break out of its header (no CR/LF or other controls)."""
    return " ".join(_HEADER_BREAKS.sub(" ", value or "").split())[:limit]


def message_id_for(idempotency_key: str, address: str) -> str:
    """Our Message-ID for one delivery, without brackets: the same on every retry, so the
    receiving side can drop a repeat and the customer's reply finds the ticket."""
    domain = address.rpartition("@")[2] or "unidesk.invalid"
    return f"{idempotency_key}@{domain}"


def subject_for(subject: str, number: int, *, token: bool) -> str:
    base = one_header_line(subject) or f"#{number}"
    base = re.sub(r"\s*\[#\d+\]\s*", " ", base).strip() if token else base
    base = base if _REPLY_PREFIX.match(base) else f"Re: {base}"
    return f"{base} [#{number}]" if token else base


def _link_buttons(buttons: Any) -> list[tuple[str, str]]:
    """``metadata["buttons"]`` rows flattened to (text, url) links; email has no buttons a
    reader presses in place, so only link buttons are shown."""
    links: list[tuple[str, str]] = []
    for row in buttons if isinstance(buttons, list) else []:
        for button in row if isinstance(row, list) else [row]:
            if not isinstance(button, dict):
                continue
            url = str(button.get("url") or "")
            if url.startswith(("https://", "http://")):
                links.append((one_header_line(str(button.get("text") or url), 200), url))
    return links


def _with_links(text: str, html: str, links: list[tuple[str, str]]) -> tuple[str, str]:
    if not links:
        return text, html
    text = text.rstrip() + "\n\n" + "\n".join(f"{label}: {url}" for label, url in links)
    anchors = "".join(
        f'<p><a href="{html_lib.escape(url, quote=True)}" '
        f'style="display:inline-block;padding:8px 16px;border:1px solid #888;'
        f'border-radius:4px;text-decoration:none">{html_lib.escape(label)}</a></p>'
        for label, url in links
    )
    return text, html + anchors


def build_email(
    outbound: OutboundMessage,
    *,
    address: str,
    sender_name: str,
    reply_to: str = "",
    subject_token: bool = True,
) -> tuple[EmailMessage, str]:
    """The message and its Message-ID (without brackets)."""
    message = EmailMessage()
    message["From"] = HeaderAddress(display_name=one_header_line(sender_name, 120),
                                    addr_spec=address)  # fmt: skip
    if outbound.recipient is not None:
        message["To"] = outbound.recipient.value
    if outbound.cc:
        message["Cc"] = ", ".join(ref.value for ref in outbound.cc)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject_for(outbound.subject, outbound.ticket_number, token=subject_token)
    message["Date"] = (
        format_datetime(outbound.created_at) if outbound.created_at else formatdate(localtime=False)
    )
    message_id = message_id_for(outbound.idempotency_key, address)
    message["Message-ID"] = f"<{message_id}>"
    if outbound.in_reply_to:
        message["In-Reply-To"] = f"<{outbound.in_reply_to}>"
    references = [r for r in outbound.references if r][-MAX_REFERENCES:]
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    automatic = AUTO_SUBMITTED.get(outbound.origin)
    if automatic:
        # RFC 3834: tells other responders not to answer this one.
        message["Auto-Submitted"] = automatic
        message["X-Auto-Response-Suppress"] = "All"
    message["X-Unidesk-Ticket"] = str(outbound.ticket_number)
    text, html = _with_links(
        outbound.text, outbound.html or text_to_html(outbound.text),
        _link_buttons(outbound.metadata.get("buttons")),
    )  # fmt: skip
    message.set_content(text or " ")
    message.add_alternative(f"<!DOCTYPE html><html><body>{html}</body></html>", subtype="html")
    for attachment in outbound.attachments:
        maintype, _slash, subtype = (attachment.content_type or "").partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype,
            filename=one_header_line(attachment.filename, 200) or "attachment",
        )  # fmt: skip
    return message, message_id
