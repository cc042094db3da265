"""Reading what the agent sent: query strings and form posts turned into typed values.

Only the shape of the input is checked here; what a change is allowed to do is decided by
the services the views call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent
from unidesk.accounts.selectors import agent_group_ids, agents_active, groups_visible_to
from unidesk.core.errors import PayloadTooLarge, ValidationFailed
from unidesk.tickets.models import Priority, Status
from unidesk.tickets.selectors import SORTS
from unidesk.tickets.services import NewAttachment

STATUS_FILTERS = ("unsolved", *Status.values, "all")
STATUSES_AFTER_REPLY = (Status.OPEN, Status.PENDING, Status.SOLVED)
MAX_QUERY = 200


class LoginForm(AuthenticationForm):
    def clean_username(self) -> str:
        # Agents are stored with lower-case addresses (accounts.services), and people type
        # their address however their phone capitalises it.
        return str(self.cleaned_data.get("username") or "").strip().lower()


@dataclass(frozen=True)
class ListQuery:
    """What a ticket list shows: a view (mine, unassigned, group:<id>, all), a status
    filter, an order, a search text and where the previous page ended."""

    view: str = "mine"
    status: str = "unsolved"
    sort: str = "activity"
    q: str = ""
    cursor: str | None = None

    def params(self, **overrides: str) -> dict[str, str]:
        """The query-string parameters that show this list again (without the cursor)."""
        values = {"view": self.view, "status": self.status, "sort": self.sort, "q": self.q}
        values.update(overrides)
        return {key: value for key, value in values.items() if value}


def inbox_view_keys(agent: Agent) -> list[str]:
    """The inbox views an agent can pick: their own tickets, unassigned ones, each of their
    groups, and every ticket for those who see all of them."""
    keys = ["mine", "unassigned", *(f"group:{gid}" for gid in agent_group_ids(agent))]
    if agent.sees_all_tickets:
        keys.append("all")
    return keys


def _choice(value: str | None, choices: Sequence[str], default: str) -> str:
    return value if value is not None and value in choices else default


def parse_inbox_query(agent: Agent, data: QueryDict) -> ListQuery:
    return ListQuery(
        view=_choice(data.get("view"), inbox_view_keys(agent), "mine"),
        status=_choice(data.get("status"), STATUS_FILTERS, "unsolved"),
        sort=_choice(data.get("sort"), tuple(SORTS), "activity"),
        cursor=data.get("cursor") or None,
    )


def parse_search_query(data: QueryDict) -> ListQuery:
    """A search looks through every ticket the agent may see, whatever its status."""
    return ListQuery(
        view="all",
        status=_choice(data.get("status"), STATUS_FILTERS, "all"),
        sort=_choice(data.get("sort"), tuple(SORTS), "activity"),
        q=(data.get("q") or "").strip()[:MAX_QUERY],
        cursor=data.get("cursor") or None,
    )


# --- ticket properties ------------------------------------------------------------------


def parse_ticket_changes(agent: Agent, data: QueryDict) -> dict[str, Any]:
    """The ticket properties present in a form post, as ``ticket_update`` arguments.

    ``assignee`` is an agent id, ``me`` or empty (nobody); ``group`` a group id or empty;
    ``tags`` a comma-separated list."""
    changes: dict[str, Any] = {}
    if "status" in data:
        status = data.get("status", "")
        if status not in Status.values:
            raise ValidationFailed(
                _("Choose a status from the list."), fields={"status": "invalid"}
            )
        changes["status"] = status
    if "priority" in data:
        try:
            changes["priority"] = Priority.from_name(data.get("priority", "")).value
        except KeyError:
            raise ValidationFailed(
                _("Choose a priority from the list."), fields={"priority": "invalid"}
            ) from None
    if "group" in data:
        changes["group"] = _group(agent, data.get("group", ""))
    if "assignee" in data:
        changes["assignee"] = _assignee(agent, data.get("assignee", ""))
    if "tags" in data:
        changes["tags"] = [name for name in data.get("tags", "").split(",") if name.strip()]
    if not changes:
        raise ValidationFailed(_("Nothing to change."), fields={"ticket": "no_changes"})
    return changes


def _id(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(
            _("Choose a value from the list."), fields={field: "invalid"}
        ) from None


def _group(agent: Agent, value: str) -> Any:
    if not value:
        return None
    group = groups_visible_to(agent).filter(pk=_id(value, "group")).first()
    if group is None:
        raise ValidationFailed(_("That group no longer exists."), fields={"group": "not_found"})
    return group


def _assignee(agent: Agent, value: str) -> Agent | None:
    if not value:
        return None
    if value == "me":
        return agent
    assignee = agents_active().filter(pk=_id(value, "assignee")).first()
    if assignee is None:
        raise ValidationFailed(
            _("That agent is not active any more."), fields={"assignee": "not_found"}
        )
    return assignee


# --- the composer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Composed:
    kind: Literal["reply", "note"]
    text: str
    attachments: list[NewAttachment]
    status_after: str | None
    # The newest message on screen when the agent started writing (collision check).
    seen_up_to: int | None = None


def parse_composer(data: QueryDict, files: MultiValueDict[str, UploadedFile]) -> Composed:
    kind: Literal["reply", "note"] = "note" if data.get("kind") == "note" else "reply"
    status_after = data.get("status_after") or None
    if status_after is not None:
        if kind == "note":
            raise ValidationFailed(
                _("An internal note does not change the status; change it in the sidebar."),
                fields={"status_after": "not_allowed"},
            )
        if status_after not in STATUSES_AFTER_REPLY:
            raise ValidationFailed(
                _("Choose open, pending or solved."), fields={"status_after": "invalid"}
            )
    uploads = files.getlist("attachments")
    return Composed(
        kind=kind,
        text=data.get("text", ""),
        attachments=read_uploads(uploads),
        status_after=status_after,
        seen_up_to=int(seen) if (seen := data.get("seen_up_to", "")).isdigit() else None,
    )


def read_uploads(uploads: Sequence[UploadedFile]) -> list[NewAttachment]:
    """The uploaded files as attachments; refuses the whole message when one file is over
    the size limit, so the agent can send it another way instead of losing it silently."""
    if len(uploads) > settings.MAX_ATTACHMENTS_PER_MESSAGE:
        raise ValidationFailed(
            _("At most %(n)s files can be attached to one message.")
            % {"n": settings.MAX_ATTACHMENTS_PER_MESSAGE},
            fields={"attachments": "too_many"},
        )
    limit = settings.MAX_ATTACHMENT_BYTES
    for upload in uploads:
        size = upload.size or 0
        if size > limit:
            raise PayloadTooLarge(
                _("%(name)s is %(size)s; files up to %(limit)s can be attached.")
                % {
                    "name": upload.name,
                    "size": filesizeformat(size),
                    "limit": filesizeformat(limit),
                },
                fields={"attachments": "too_large"},
            )
    return [
        NewAttachment(
            filename=upload.name or "attachment",
            data=upload.read(),
            content_type=upload.content_type or "",
        )
        for upload in uploads
    ]


@dataclass(frozen=True)
class TemplateChoice:
    name: str
    language: str
    parameters: list[str]


def parse_template(data: QueryDict) -> TemplateChoice:
    """``template`` is ``name|language``; parameters come one per line."""
    name, _sep, language = (data.get("template") or "").partition("|")
    if not name.strip():
        raise ValidationFailed(_("Choose a template."), fields={"template": "required"})
    parameters = [line.strip() for line in (data.get("parameters") or "").splitlines()]
    return TemplateChoice(
        name=name.strip(), language=language.strip(), parameters=[p for p in parameters if p]
    )


@dataclass(frozen=True)
class PrivateContinuation:
    text: str
    public_reply: str


def parse_private_continuation(data: QueryDict) -> PrivateContinuation:
    text = (data.get("text") or "").strip()
    if not text:
        raise ValidationFailed(_("Write the first private message."), fields={"text": "required"})
    return PrivateContinuation(text=text, public_reply=(data.get("public_reply") or "").strip())
