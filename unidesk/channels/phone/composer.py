"""Phone tickets are answered by calling back, not by typing a reply."""

from __future__ import annotations

from django.utils.translation import gettext as _

from unidesk.channels.composer import ReplyOptions, reply_rules
from unidesk.tickets.models import Ticket


@reply_rules("phone")
def phone_reply_options(ticket: Ticket) -> ReplyOptions:
    return ReplyOptions(
        free_text=False,
        reason=_(
            "Phone conversations are answered by calling back; a typed reply cannot reach "
            "the caller. Add an internal note about the call instead."
        ),
    )
