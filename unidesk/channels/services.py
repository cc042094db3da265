"""Writes for channels: connecting inboxes, and sending replies through the outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent, Group
from unidesk.channels import outbox, registry
from unidesk.channels.models import ChannelAccount, ChannelKind
from unidesk.core import crypto
from unidesk.core.actor import Actor
from unidesk.core.errors import ValidationFailed
from unidesk.core.text import one_line
from unidesk.tickets.attachments import files_removed_on_error
from unidesk.tickets.models import Message, Origin, Status, Ticket
from unidesk.tickets.services import NewAttachment, message_add_outbound, ticket_update

# Settings every kind understands, besides the adapter's own.
COMMON_SETTINGS = frozenset({"reopen_window_days"})


@dataclass(frozen=True)
class ConnectedChannel:
    account: ChannelAccount
    secret: str


def channel_add(
    *, kind: str, name: str, group: Group | None = None, settings: Mapping[str, str] | None = None
) -> ConnectedChannel:
    """Connect an inbox. Returns the account and its inbound secret (shown once)."""
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
    secret = values.pop("secret", "") or crypto.random_token(nbytes=24)
    secrets = {"secret": secret}
    secrets.update({k: v for k, v in values.items() if k in adapter.secret_settings})
    plain = {k: v for k, v in values.items() if k not in adapter.secret_settings}
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


def channel_update_settings(
    *, account: ChannelAccount, settings: Mapping[str, str]
) -> ChannelAccount:
    adapter = registry.adapter_class(account.kind)
    secrets = dict(account.secrets)
    plain = dict(account.settings)
    for key, value in settings.items():
        if key in adapter.secret_settings or key == "secret":
            secrets[key] = value
        else:
            plain[key] = value
    account.settings = plain
    account.set_secrets(secrets)
    account.save(update_fields=["settings", "secrets_encrypted"])
    return account


def reply_send(
    *,
    ticket: Ticket,
    author: Agent,
    text: str,
    html: str = "",
    attachments: Sequence[NewAttachment] = (),
    status_after: str | None = None,
) -> Message:
    """An agent answers the customer: the reply and its delivery are stored together and
    the outbox sends it through the ticket's channel."""
    actor = Actor.for_agent(author)
    with files_removed_on_error(), transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == Status.CLOSED:
            raise ValidationFailed(
                _("Ticket %(ref)s is closed; a reply would not reach anyone.")
                % {"ref": locked.reference},
                fields={"ticket": "closed"},
            )
        message = message_add_outbound(
            ticket=locked,
            actor=actor,
            text=text,
            html=html,
            author=author,
            origin=Origin.AGENT,
            attachments=attachments,
        )
        outbox.enqueue(message)
        if status_after and status_after != locked.status:
            ticket_update(ticket=locked, actor=actor, status=status_after)
    return message
