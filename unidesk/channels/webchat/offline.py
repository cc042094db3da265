"""Replies a visitor did not see: "leave your email and we will answer there".

A visitor who left the page before the answer came, and who gave an email (in the
pre-chat form or when nobody was free), gets the replies they have not seen by email a
few minutes later: once, all of a conversation's unseen replies together, in their
language, with a link back to the page they chatted on. Replies the widget reported
delivered or read are never emailed. The address is the visitor's own word (it may be
unconfirmed); nothing but that conversation's replies is ever sent to it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from unidesk.channels.webchat.models import EmailedReply, Visitor
from unidesk.core import clock
from unidesk.tickets.models import DeliveryStatus, Direction, Message, Origin

logger = logging.getLogger("unidesk.webchat")

UNSEEN_AFTER = timedelta(minutes=3)
LOOK_BACK = timedelta(days=3)
BATCH = 200


def unseen_replies() -> dict[int, list[Message]]:
    """Agents' replies on web chats that nobody's widget has received, old enough that
    the visitor has evidently gone, and not emailed yet; by ticket."""
    now = clock.now()
    replies = (
        Message.objects.filter(
            ticket__channel="webchat",
            direction=Direction.OUT,
            origin=Origin.AGENT,
            delivery_status=DeliveryStatus.SENT,
            created_at__lt=now - UNSEEN_AFTER,
            created_at__gt=now - LOOK_BACK,
            webchat_emailed__isnull=True,
        )
        .select_related("ticket__channel_account")
        .order_by("id")[:BATCH]
    )
    by_ticket: dict[int, list[Message]] = defaultdict(list)
    for reply in replies:
        by_ticket[reply.ticket_id].append(reply)
    return by_ticket


def email_unseen_replies() -> int:
    """Periodic job: email what visitors missed. Returns how many emails went out."""
    sent = 0
    for replies in unseen_replies().values():
        ticket = replies[0].ticket
        visitor = (
            Visitor.objects.filter(
                channel_id=ticket.channel_account_id, thread_key=ticket.thread_key
            )
            .exclude(email="")
            .order_by("-last_seen_at")
            .first()
        )
        if visitor is None:
            # Nobody to write to: remember that, so the job does not look again.
            EmailedReply.objects.bulk_create(
                [EmailedReply(message=r, email="") for r in replies], ignore_conflicts=True
            )
            continue
        if _email(visitor, replies):
            sent += 1
    return sent


def _email(visitor: Visitor, replies: list[Message]) -> bool:
    try:
        with transaction.atomic():
            for reply in replies:
                EmailedReply.objects.create(message=reply, email=visitor.email)
    except IntegrityError:
        return False  # another worker has them
    account = replies[0].ticket.channel_account
    team = account.name if account is not None else ""
    with translation.override(visitor.language or "en"):
        subject = _("%(team)s answered you in the chat") % {"team": team}
        parts = [_("You left the chat before our answer came, so here it is.")]
        parts += [f"{reply.author_name}:\n{reply.text}" for reply in replies]
        if visitor.page_url:
            parts.append(
                _("To answer, write to us in the chat: %(url)s") % {"url": visitor.page_url}
            )
        else:
            parts.append(_("To answer, write to us in the chat on our site."))
    try:
        send_mail(subject, "\n\n".join(parts), None, [visitor.email], fail_silently=False)
    except Exception:
        # Mail is down: let the next run try again.
        logger.exception("could not email unseen replies to web chat visitor %s", visitor.pk)
        EmailedReply.objects.filter(message__in=replies, email=visitor.email).delete()
        return False
    return True
