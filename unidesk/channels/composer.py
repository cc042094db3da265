"""What an agent may send on a ticket right now, as the composer and the API show it.

Each channel kind may register rules (``@reply_rules("whatsapp")``): WhatsApp only
delivers free text within 24 hours of the customer's last message and offers approved
templates otherwise. Public tickets (wall comments) carry a warning whatever the channel.
``reply_send`` refuses what the rules forbid, so the API and the workspace behave alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.utils.translation import gettext as _

from unidesk.channels import registry
from unidesk.channels.base import ChannelAdapter
from unidesk.core.errors import NotFound
from unidesk.tickets.models import Ticket


@dataclass(frozen=True)
class ReplyTemplate:
    """An approved message template; ``text`` (with ``{{1}}``… placeholders) is only the
    preview agents see, the platform renders the real message."""

    name: str
    language: str
    text: str = ""

    def render(self, parameters: list[str]) -> str:
        if not self.text:
            return f"[{self.name}] {', '.join(parameters)}".strip()
        rendered = self.text
        for index, value in enumerate(parameters, start=1):
            rendered = rendered.replace(f"{{{{{index}}}}}", value)
        return rendered


@dataclass(frozen=True)
class ReplyOptions:
    free_text: bool = True
    # Why free text cannot be sent now, for the agent.
    reason: str = ""
    window_closes_at: datetime | None = None
    templates: tuple[ReplyTemplate, ...] = ()
    public: bool = False
    warning: str = ""
    can_continue_privately: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


Rules = Callable[[Ticket], ReplyOptions]
_rules: dict[str, Rules] = {}


def reply_rules(kind: str) -> Callable[[Rules], Rules]:
    def register(func: Rules) -> Rules:
        _rules[kind] = func
        return func

    return register


def reply_options(ticket: Ticket) -> ReplyOptions:
    rules = _rules.get(ticket.channel)
    options = rules(ticket) if rules else ReplyOptions()
    if ticket.is_public:
        adapter = _adapter_class(ticket.channel)
        options = replace(
            options,
            public=True,
            warning=_(
                "This answer will be public: it is posted as a reply to the customer's "
                "comment, and everyone can read it. Never include personal data."
            ),
            can_continue_privately=bool(adapter and adapter.can_continue_privately),
        )
    return options


def _adapter_class(kind: str) -> type[ChannelAdapter] | None:
    try:
        return registry.adapter_class(kind)
    except NotFound:
        return None
