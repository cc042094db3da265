"""WhatsApp's rule for the composer: free text within the 24-hour window, templates
outside it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from unidesk.channels.composer import ReplyOptions, ReplyTemplate, reply_rules
from unidesk.channels.whatsapp.adapter import templates_from_setting
from unidesk.channels.whatsapp.selectors import customer_service_window
from unidesk.tickets.models import Ticket


@reply_rules("whatsapp")
def whatsapp_reply_options(ticket: Ticket) -> ReplyOptions:
    account = ticket.channel_account
    configured = (
        templates_from_setting(str(account.settings.get("templates", ""))) if account else ()
    )
    templates = tuple(ReplyTemplate(t.name, t.language, t.text) for t in configured)
    window = customer_service_window(ticket)
    if window.is_open:
        return ReplyOptions(window_closes_at=window.closes_at, templates=templates)
    reason = _(
        "More than 24 hours have passed since the customer last wrote on WhatsApp, so "
        "WhatsApp only delivers approved templates now."
    )
    if templates:
        reason += " " + _("Pick a template to send.")
    else:
        reason += " " + _(
            "No templates are set up for this channel yet: add approved ones to its "
            "templates setting."
        )
    return ReplyOptions(free_text=False, reason=reason, templates=templates)
