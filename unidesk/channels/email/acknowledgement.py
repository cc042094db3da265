"""The acknowledgement of a new email ticket: its number, and honestly when a person will
answer (``accounts.availability``), in the customer's language.

Never sent to automatic mail (see ``loops``: the first message carries the reason), to our
own mailboxes, or more than ``autoreply_limit_per_hour`` times an hour to one address, so
two auto-responders cannot keep each other busy; nor for old mail (imported, or delivered a
day late), nor by a mailbox that has no SMTP server (a demo mailbox acknowledges into the
demo outbox). It leaves through the outbox like any reply, marked ``Auto-Submitted:
auto-replied``, and never counts as the first response.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from unidesk.accounts.availability import answer_promise, describe_promise
from unidesk.channels import demo_delivery
from unidesk.channels.email.adapter import flag
from unidesk.channels.email.mailboxes import desk_addresses
from unidesk.channels.services import automatic_message_send
from unidesk.core import clock
from unidesk.tickets.events import TicketCreated
from unidesk.tickets.models import Direction, Message, Origin, Ticket

logger = logging.getLogger("unidesk.email")

DEFAULT_LIMIT_PER_HOUR = 3
FRESH_TICKET = timedelta(hours=1)
FRESH_MAIL = timedelta(days=1)
LANGUAGES = ("en", "ru")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def concerns_email(event: TicketCreated) -> bool:
    """Only new email conversations are acknowledged; other channels' tickets cost nothing."""
    return event.channel == "email"


def on_ticket_created(event: TicketCreated) -> None:
    """Background subscriber (a task written with the new ticket, so a crash after the
    commit cannot lose the acknowledgement), for email tickets only (``concerns_email``)."""
    ticket = (
        Ticket.objects.select_related("channel_account", "group", "requester", "requester_identity")
        .filter(pk=event.ticket_id, channel="email")
        .first()
    )
    if ticket is not None:
        acknowledge(ticket)


def acknowledge(ticket: Ticket) -> Message | None:
    account = ticket.channel_account
    identity = ticket.requester_identity
    if account is None or identity is None or identity.kind != "email":
        return None
    config = account.settings
    if not flag(str(config.get("acknowledge", "")), True):
        return None
    first = ticket.messages.filter(direction=Direction.IN).order_by("created_at", "id").first()
    if first is None:
        return None
    reason = _why_not(ticket, first, config)
    if reason:
        logger.info("no acknowledgement for ticket %s: %s", ticket.pk, reason)
        return None
    language = choose_language(str(config.get("acknowledge_language", "auto")), first, ticket)
    text = render(ticket, language=language, template=str(
        config.get(f"acknowledge_template_{language}", "") or ""
    ))  # fmt: skip
    return automatic_message_send(
        ticket=ticket,
        text=text,
        origin=Origin.AUTO_REPLY,
        author_name=str(config.get("from_name") or account.name),
        metadata={"acknowledgement": True, "language": language},
    )


def _why_not(ticket: Ticket, first: Message, config: Mapping[str, object]) -> str:
    automatic = (first.metadata or {}).get("email", {}).get("automatic")
    if automatic:
        return f"automatic mail ({automatic})"
    if not config.get("smtp_host") and not demo_delivery.is_on(config):
        # (A demo mailbox "sends" into the demo outbox, so it acknowledges like a real one.)
        return "the mailbox has no SMTP server to send it"
    now = clock.now()
    if ticket.created_at < now - FRESH_TICKET:
        return "the ticket is no longer new"
    if first.sent_at is not None and first.sent_at < now - FRESH_MAIL:
        # Imported or long-delayed mail: a promise about answering "soon" would be wrong.
        return "the message was written more than a day ago"
    address = ticket.requester_identity.value if ticket.requester_identity else ""
    if address in desk_addresses():
        return "mail from one of our own mailboxes"
    if Message.objects.filter(ticket=ticket, origin=Origin.AUTO_REPLY).exists():
        return "already acknowledged"
    try:
        limit = int(str(config.get("autoreply_limit_per_hour") or DEFAULT_LIMIT_PER_HOUR))
    except ValueError:
        limit = DEFAULT_LIMIT_PER_HOUR
    recent = Message.objects.filter(
        direction=Direction.OUT,
        origin=Origin.AUTO_REPLY,
        ticket__requester_identity=ticket.requester_identity,
        created_at__gte=clock.now() - timedelta(hours=1),
    ).count()
    if recent >= limit:
        return f"{recent} automatic replies to {address} in the last hour"
    return ""


def choose_language(setting: str, first: Message, ticket: Ticket) -> str:
    """The mailbox's language if it names one; otherwise Russian for a customer who
    wrote in Cyrillic, the customer's known language, or the desk's default."""
    if setting in LANGUAGES:
        return setting
    sample = f"{ticket.subject}\n{first.text[:2000]}"
    if _CYRILLIC.search(sample):
        return "ru"
    if not sample.strip() and ticket.requester.language in LANGUAGES:
        return ticket.requester.language
    if re.search(r"[A-Za-z]", sample):
        return "en"
    default = settings.LANGUAGE_CODE.split("-")[0]
    return default if default in LANGUAGES else "en"


def render(ticket: Ticket, *, language: str, template: str = "") -> str:
    """The acknowledgement text. A mailbox's own template may use {number}, {subject},
    {name}, {promise} and {mailbox}; other braces are left as they are."""
    with translation.override(language):
        promise = describe_promise(answer_promise(ticket.group))
        values = {
            "number": str(ticket.number),
            "subject": ticket.subject or gettext("(no subject)"),
            "name": ticket.requester.name,
            "promise": promise,
            "mailbox": ticket.channel_account.name if ticket.channel_account else "",
        }
        if not template.strip():
            template = default_template(bool(ticket.requester.name))
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def default_template(named: bool) -> str:
    """The built-in text in the active language."""
    greeting = gettext("Hello, {name}!") if named else gettext("Hello!")
    body = gettext(
        "Thank you for writing to us. Your request is registered under number #{number} "
        "(“{subject}”)."
    )
    reply_hint = gettext(
        "To add something, simply reply to this email and keep [#{number}] in the subject."
    )
    return f"{greeting}\n\n{body}\n{{promise}}\n\n{reply_hint}\n\n{{mailbox}}"
