"""Template helpers for the agent workspace: labels, timeline sentences, inline images."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from unidesk.channels.models import ChannelKind
from unidesk.customers.models import IdentityKind
from unidesk.tickets.models import Activity, DeliveryStatus, Message, Priority, Status

register = template.Library()


def _label(choices: type[ChannelKind | IdentityKind | Status | DeliveryStatus], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@lru_cache(maxsize=1)
def _ticket_url_prefix() -> str:
    return reverse("workspace:ticket", args=[1]).removesuffix("1/")


@register.filter
def ticket_url(number: int) -> str:
    """The ticket page's URL; lists call this per row, so the route is reversed once."""
    return f"{_ticket_url_prefix()}{number}/"


@register.filter
def moment(value: datetime | None) -> str:
    """A <time> element: the exact local time for people without JavaScript, turned into
    "5 minutes ago" in the agent's language by the workspace script."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" data-relative>{}</time>',
        value.isoformat(),
        local.strftime("%Y-%m-%d %H:%M"),
    )


@register.filter
def status_label(value: str) -> str:
    return _label(Status, value)


@register.filter
def delivery_label(value: str) -> str:
    return _label(DeliveryStatus, value)


@register.filter
def channel_label(value: str) -> str:
    return _label(ChannelKind, value) if value else ""


@register.filter
def identity_label(value: str) -> str:
    return _label(IdentityKind, value)


@register.filter
def priority_label(value: int | str) -> str:
    """The label of a priority given as its number (tickets) or its name (the log)."""
    try:
        if isinstance(value, int):
            return str(Priority(value).label)
        return str(Priority.from_name(value).label)
    except (ValueError, KeyError):
        return str(value)


@register.filter
def priority_key(value: int) -> str:
    try:
        return Priority(value).key
    except ValueError:
        return ""


def _actor(activity: Activity) -> str:
    if activity.actor_name:
        return activity.actor_name
    fallback = {
        "customer": _("The customer"),
        "system": _("The system"),
        "automation": _("An automation rule"),
        "bot": _("The bot"),
    }
    return fallback.get(activity.actor_kind, _("Someone"))


def _value(field: str, value: str) -> str:
    if field == "status":
        return _label(Status, value)
    if field == "priority":
        return priority_label(value)
    return value


def _link_sentence(field: str) -> str | None:
    """Links between tickets (``crosschannel``), in words."""
    return {
        "linked": _("%(actor)s linked this ticket to %(new)s"),
        "unlinked": _("%(actor)s removed the link to %(old)s"),
        "duplicate_of": _("%(actor)s closed this ticket as a duplicate of %(new)s"),
        "duplicate": _("%(actor)s closed %(new)s as a duplicate of this ticket"),
    }.get(field)


@register.filter
def activity_sentence(activity: Activity) -> str:
    """One change in words: "Anna changed the status Open → Solved"."""
    field = activity.field
    values = {
        "actor": _actor(activity),
        "old": _value(field, activity.old_value),
        "new": _value(field, activity.new_value),
        "field": field,
    }
    old, new = activity.old_value, activity.new_value
    if field == "status":
        text = _("%(actor)s changed the status %(old)s → %(new)s")
    elif field == "priority":
        text = _("%(actor)s changed the priority %(old)s → %(new)s")
    elif field == "group":
        if old and new:
            text = _("%(actor)s moved the ticket from %(old)s to %(new)s")
        elif new:
            text = _("%(actor)s put the ticket in the group %(new)s")
        else:
            text = _("%(actor)s took the ticket out of the group %(old)s")
    elif field == "assignee":
        if old and new:
            text = _("%(actor)s reassigned the ticket from %(old)s to %(new)s")
        elif new:
            text = _("%(actor)s assigned the ticket to %(new)s")
        else:
            text = _("%(actor)s unassigned %(old)s")
    elif field == "tags":
        if old and new:
            text = _("%(actor)s changed the tags %(old)s → %(new)s")
        elif new:
            text = _("%(actor)s tagged the ticket %(new)s")
        else:
            text = _("%(actor)s removed the tags %(old)s")
    elif field == "requester":
        text = _("%(actor)s changed the requester %(old)s → %(new)s")
    elif field == "message_edited":
        text = _("%(actor)s edited a message")
    elif field == "continued_privately":
        text = _("%(actor)s continued this conversation in private messages: %(new)s")
    elif field == "continued_from":
        text = _("%(actor)s moved the conversation here from the public thread %(new)s")
    elif (link_text := _link_sentence(field)) is not None:
        text = link_text
    elif field in ("cc", "bcc"):
        if new:
            text = (
                _("%(actor)s added %(new)s in copy")
                if field == "cc"
                else _("%(actor)s added %(new)s in blind copy")
            )
        else:
            text = _("%(actor)s removed %(old)s from the copies")
    else:
        text = _("%(actor)s changed %(field)s %(old)s → %(new)s")
    return text % values


@register.filter
def inline_images(html: str, message: Message) -> str:
    """Point ``cid:`` image sources of an email at the stored inline attachments.

    Returns plain text for the template to mark safe: ``html`` was sanitised when it was
    stored, and only our own URLs are put in."""
    if "cid:" not in html:
        return html
    for attachment in message.attachments.all():
        if attachment.content_id and attachment.is_kept:
            url = reverse("workspace:attachment", args=[attachment.pk])
            html = html.replace(f'src="cid:{escape(attachment.content_id)}"', f'src="{url}"')
    return html


@register.simple_tag(takes_context=True)
def list_url(context: template.Context, **overrides: str) -> str:
    """The current list's URL with some parameters changed (and no cursor)."""
    query = context["query"]
    params = query.params(**{key: str(value) for key, value in overrides.items()})
    request = context["request"]
    return f"{request.path}?{urlencode(params)}" if params else request.path
