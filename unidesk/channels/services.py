"""Writes for channels: connecting inboxes, and sending replies through the outbox."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent, Group
from unidesk.channels import outbox, registry
from unidesk.channels.base import ChannelAdapter, ChannelError, IdentityRef
from unidesk.channels.composer import reply_options
from unidesk.channels.models import ChannelAccount, ChannelKind
from unidesk.channels.selectors import forget_channel
from unidesk.core import crypto
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, ValidationFailed
from unidesk.core.text import one_line
from unidesk.tickets.attachments import files_removed_on_error
from unidesk.tickets.models import Direction, Message, Origin, Status, Ticket
from unidesk.tickets.services import (
    NewAttachment,
    message_add_outbound,
    ticket_open_private_followup,
    ticket_update,
)

# Settings every kind understands, besides the adapter's own.
COMMON_SETTINGS = frozenset({"reopen_window_days"})


@dataclass(frozen=True)
class ConnectedChannel:
    account: ChannelAccount
    secret: str


def channel_name_taken(*, kind: str, name: str, exclude: ChannelAccount | None = None) -> bool:
    """Whether another channel of this kind already has this name: two inboxes with one name
    cannot be told apart in the workspace, and a form sent twice must not connect twice."""
    others = ChannelAccount.objects.filter(kind=kind, name=one_line(name, 120))
    if exclude is not None and exclude.pk:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def channel_add(
    *, kind: str, name: str, group: Group | None = None, settings: Mapping[str, str] | None = None
) -> ConnectedChannel:
    """Connect an inbox. Returns the account and its inbound secret (shown once). A second
    channel of the same kind and name is refused (``Conflict``), so nothing is connected
    twice."""
    if kind not in ChannelKind.values:
        raise ValidationFailed(
            _("Unknown channel kind %(kind)r; use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(ChannelKind.values)},
            fields={"kind": "invalid"},
        )
    adapter = registry.adapter_class(kind)
    name = one_line(name, 120)
    if not name:
        raise ValidationFailed(_("A channel needs a name."), fields={"name": "required"})
    values = dict(settings or {})
    known = adapter.settings_names | adapter.secret_settings | COMMON_SETTINGS | {"secret"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationFailed(
            _("Unknown setting %(names)s for %(kind)s; known: %(known)s.")
            % {"names": ", ".join(unknown), "kind": kind, "known": ", ".join(sorted(known))},
            fields=dict.fromkeys(unknown, "unknown"),
        )
    _refuse_problems(adapter, {k: v for k, v in values.items() if k not in adapter.secret_settings})
    secret = values.pop("secret", "") or crypto.random_token(nbytes=24)
    secrets = {"secret": secret}
    secrets.update({k: v for k, v in values.items() if k in adapter.secret_settings})
    plain = {**adapter.default_settings}
    plain.update({k: v for k, v in values.items() if k not in adapter.secret_settings})
    account = ChannelAccount(
        kind=kind,
        name=name,
        key=crypto.random_token(nbytes=12).replace("-", "x").replace("_", "y"),
        group=group,
        settings=plain,
    )
    account.set_secrets(secrets)
    account.save()
    return ConnectedChannel(account=account, secret=secret)


def _refuse_problems(adapter: type[ChannelAdapter], values: Mapping[str, str]) -> None:
    problems = adapter.settings_problems(values)
    if problems:
        raise ValidationFailed(
            "; ".join(f"{name}: {reason}" for name, reason in sorted(problems.items())),
            fields=dict.fromkeys(problems, "invalid"),
        )


def channel_set_active(*, account: ChannelAccount, active: bool) -> ChannelAccount:
    """Switch a channel on or off; a switched-off channel refuses webhooks (404) and its
    replies fail with a readable reason."""
    account.is_active = active
    account.save(update_fields=["is_active"])
    forget_channel(account)
    return account


def channel_connect(*, account: ChannelAccount) -> str:
    """Set the channel up at its platform where that can be automated (Telegram's
    webhook). Raises ``ValidationFailed`` with the platform's reason when it refuses."""
    try:
        return registry.adapter_for(account).connect()
    except ChannelError as exc:
        raise ValidationFailed(str(exc), fields={"channel": "platform_refused"}) from None


def channel_update_settings(
    *, account: ChannelAccount, settings: Mapping[str, str], unset: Collection[str] = ()
) -> ChannelAccount:
    """Change some settings: secret ones are encrypted, plain ones checked with the adapter's
    ``settings_problems``; the plain settings named in ``unset`` go back to their defaults."""
    adapter = registry.adapter_class(account.kind)
    _refuse_problems(
        adapter, {k: v for k, v in settings.items() if k not in adapter.secret_settings}
    )
    secrets = dict(account.secrets)
    plain = dict(account.settings)
    for key, value in settings.items():
        if key in adapter.secret_settings or key == "secret":
            secrets[key] = value
        else:
            plain[key] = value
    for key in unset:
        plain.pop(key, None)
    account.settings = plain
    account.set_secrets(secrets)
    account.save(update_fields=["settings", "secrets_encrypted"])
    forget_channel(account)
    return account


def reply_send(
    *,
    ticket: Ticket,
    author: Agent,
    text: str,
    html: str = "",
    attachments: Sequence[NewAttachment] = (),
    status_after: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    seen_up_to: int | None = None,
) -> Message:
    """An agent answers the customer: the reply and its delivery are stored together and
    the outbox sends it through the ticket's channel. Refused when the channel does not
    take free text now (WhatsApp after 24 hours: send a template instead), and — when
    ``seen_up_to`` names the newest message the agent had on screen — when a colleague
    has replied since (``Conflict``, code ``newer_reply``), so the customer does not get
    two answers to one question."""
    actor = Actor.for_agent(author)
    with files_removed_on_error(), transaction.atomic():
        locked = _open_for_reply(ticket)
        if seen_up_to is not None:
            _refuse_if_a_colleague_replied(locked, author, seen_up_to)
        options = reply_options(locked)
        if not options.free_text:
            raise ValidationFailed(options.reason, fields={"text": "window_closed"})
        message = message_add_outbound(
            ticket=locked,
            actor=actor,
            text=text,
            html=html,
            author=author,
            origin=Origin.AGENT,
            attachments=attachments,
            metadata=dict(metadata or {}),
        )
        outbox.enqueue(message)
        if status_after and status_after != locked.status:
            ticket_update(ticket=locked, actor=actor, status=status_after)
    return message


def automatic_message_send(
    *,
    ticket: Ticket,
    text: str,
    html: str = "",
    origin: str = Origin.AUTO_REPLY,
    author_name: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> Message | None:
    """Send a message nobody typed (an acknowledgement, an out-of-hours reply, the bot, a
    survey) through the ticket's channel and the outbox. It never counts as the first
    response or as an agent reply. Returns None, sending nothing, when the ticket is closed
    or the channel does not take free text now (outside WhatsApp's 24-hour window):
    automation must not raise on a conversation it cannot reach."""
    actor = Actor(kind="bot" if origin == Origin.BOT else "system", name=author_name or "unidesk")
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("channel_account", "requester_identity")
            .get(pk=ticket.pk)
        )
        if locked.status == Status.CLOSED or locked.channel_account is None:
            return None
        if not reply_options(locked).free_text:
            return None
        message = message_add_outbound(
            ticket=locked,
            actor=actor,
            text=text,
            html=html,
            origin=origin,
            metadata=dict(metadata or {}),
        )
        outbox.enqueue(message)
    return message


def _refuse_if_a_colleague_replied(ticket: Ticket, author: Agent, seen_up_to: int) -> None:
    newer = (
        Message.objects.filter(
            ticket=ticket, direction=Direction.OUT, origin=Origin.AGENT, pk__gt=seen_up_to
        )
        .exclude(author_agent=author)
        .order_by("-id")
        .first()
    )
    if newer is not None:
        raise Conflict(
            _(
                "%(name)s sent a reply while you were writing: “%(text)s”. Read it; if "
                "yours is still needed, send it again."
            )
            % {"name": newer.author_name, "text": one_line(newer.text, 120)},
            fields={"text": "newer_reply"},
            code="newer_reply",
        )


def _open_for_reply(ticket: Ticket) -> Ticket:
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("channel_account", "requester_identity")
        .get(pk=ticket.pk)
    )
    if locked.status == Status.CLOSED:
        raise ValidationFailed(
            _("Ticket %(ref)s is closed; a reply would not reach anyone.")
            % {"ref": locked.reference},
            fields={"ticket": "closed"},
        )
    return locked


def reply_send_template(
    *,
    ticket: Ticket,
    author: Agent,
    name: str,
    language: str = "",
    parameters: Sequence[str] = (),
    status_after: str | None = None,
) -> Message:
    """Send one of the channel's approved templates (how a WhatsApp customer is reached
    after the 24-hour window). The timeline shows the template's preview."""
    actor = Actor.for_agent(author)
    with transaction.atomic():
        locked = _open_for_reply(ticket)
        options = reply_options(locked)
        template = next(
            (
                t
                for t in options.templates
                if t.name == name and (not language or t.language == language)
            ),
            None,
        )
        if template is None:
            known = ", ".join(f"{t.name} ({t.language})" for t in options.templates)
            raise ValidationFailed(
                _("%(name)s is not one of this channel's templates. Known: %(known)s.")
                % {"name": name, "known": known or _("none")},
                fields={"name": "unknown_template"},
            )
        values = [one_line(str(p), 1000) for p in parameters]
        message = message_add_outbound(
            ticket=locked,
            actor=actor,
            text=template.render(values),
            author=author,
            origin=Origin.AGENT,
            metadata={
                "template": {
                    "name": template.name,
                    "language": template.language,
                    "parameters": values,
                }
            },
        )
        outbox.enqueue(message)
        if status_after and status_after != locked.status:
            ticket_update(ticket=locked, actor=actor, status=status_after)
    return message


def conversation_continue_privately(
    *, ticket: Ticket, author: Agent, text: str, public_reply: str = ""
) -> Message:
    """Move a public thread (a wall comment) to private messages where the platform
    allows it: a private ticket for the same customer starts with the agent's message,
    and optionally a public reply says so. Returns the private message."""
    actor = Actor.for_agent(author)
    with transaction.atomic():
        locked = _open_for_reply(ticket)
        if not reply_options(locked).can_continue_privately:
            raise ValidationFailed(
                _("This conversation cannot be moved to private messages."),
                fields={"ticket": "not_public"},
            )
        identity = locked.requester_identity
        if identity is None or locked.channel_account is None:
            raise ValidationFailed(
                _("This conversation has no customer address to write to."),
                fields={"ticket": "no_recipient"},
            )
        adapter = registry.adapter_for(locked.channel_account)
        private = ticket_open_private_followup(
            public=locked,
            actor=actor,
            thread_key=adapter.private_thread_key(IdentityRef(identity.kind, identity.value)),
        )
        message = message_add_outbound(
            ticket=private, actor=actor, text=text, author=author, origin=Origin.AGENT
        )
        outbox.enqueue(message)
        if public_reply.strip():
            note = message_add_outbound(
                ticket=locked, actor=actor, text=public_reply, author=author, origin=Origin.AGENT
            )
            outbox.enqueue(note)
    return message
