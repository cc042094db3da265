"""When and how each kind of channel asks for a rating.

* Chat and messengers (the default): right after the solve, inside the conversation, with
  a button per rating and a short link.
* Email: a while after the solve and after the last message (two hours by default), never
  later than the end of the group's next working day, quoting the conversation, with a
  link per rating.
* Phone: right after the solve of the call's ticket, through a messenger conversation the
  customer has with us; when there is none the survey is recorded as "could not ask".

Routes register by channel kind; nothing else decides by kind.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from django.utils import translation
from django.utils.translation import gettext as _

from unidesk.accounts.selectors import calendar_for
from unidesk.core.calendar import BusinessCalendar
from unidesk.core.text import one_line
from unidesk.csat import links, texts
from unidesk.csat.models import CsatPolicy, Survey
from unidesk.tickets.models import Direction, Message, Origin, Status, Ticket

MESSENGER_KINDS: Final = ("telegram", "whatsapp", "vk", "facebook", "instagram", "webchat")
QUOTED_MESSAGES: Final = 6
QUOTE_CHARS: Final = 1200


@dataclass(frozen=True)
class Composed:
    text: str
    html: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


class SurveyRoute:
    """The default: a chat or messenger conversation, asked right after the solve."""

    def due_at(self, ticket: Ticket, policy: CsatPolicy, solved_at: datetime) -> datetime:
        return solved_at

    def target(self, ticket: Ticket) -> Ticket | None:
        """The conversation the question goes to; None when the customer cannot be reached."""
        return ticket

    def unreachable_reason(self) -> str:
        return _("The conversation does not take messages now.")

    def compose(self, survey: Survey, policy: CsatPolicy) -> Composed:
        with translation.override(survey.language):
            lines = [texts.question(policy, survey.language)]
            hint = texts.scale_hint(survey.scale)
            if hint:
                lines.append(hint)
            link = links.link_url(survey.pk, survey.nonce)
            lines.append(_("You can also answer on this page: %(link)s") % {"link": link})
            buttons = [
                [
                    {
                        "text": texts.rating_label(rating, survey.scale),
                        "data": links.button_data(survey.pk, survey.nonce, rating),
                    }
                    for rating in range(1, survey.scale + 1)
                ]
            ]
        return Composed(
            text="\n\n".join(lines),
            metadata={"buttons": buttons, "csat": {"survey": survey.pk}},
        )


_routes: dict[str, SurveyRoute] = {}
_default = SurveyRoute()


def register(kind: str, route: SurveyRoute) -> None:
    _routes[kind] = route


def route_for(kind: str) -> SurveyRoute:
    return _routes.get(kind, _default)


# --- email ---------------------------------------------------------------------------------------


def end_of_next_working_day(calendar: BusinessCalendar, moment: datetime) -> datetime:
    """The end of the last working period on the first working day after ``moment``'s own
    (local) day."""
    today = moment.astimezone(calendar.tz).date()
    next_day: Any = None
    end = moment
    for start, finish in calendar.periods(moment):
        day = start.astimezone(calendar.tz).date()
        if day <= today:
            continue
        if next_day is None:
            next_day = day
        if day != next_day:
            break
        end = finish
    return end


def last_message_at(ticket: Ticket) -> datetime | None:
    """The latest message of the conversation, surveys aside."""
    return (
        Message.objects.filter(ticket=ticket, direction__in=[Direction.IN, Direction.OUT])
        .exclude(origin=Origin.SYSTEM)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


class EmailRoute(SurveyRoute):
    def due_at(self, ticket: Ticket, policy: CsatPolicy, solved_at: datetime) -> datetime:
        delay = timedelta(minutes=policy.email_delay_minutes)
        latest = last_message_at(ticket)
        after = max(solved_at, latest) if latest else solved_at
        cap = end_of_next_working_day(calendar_for(ticket.group), solved_at)
        return max(solved_at, min(after + delay, cap))

    def compose(self, survey: Survey, policy: CsatPolicy) -> Composed:
        with translation.override(survey.language):
            question = texts.question(policy, survey.language)
            hint = texts.scale_hint(survey.scale)
            choices = [
                (
                    texts.rating_label(r, survey.scale),
                    links.link_url(survey.pk, survey.nonce, rating=r),
                )
                for r in range(1, survey.scale + 1)
            ]
            quoted = _quote(survey.ticket)
            about = _("Your conversation with us (ticket %(ref)s):") % {
                "ref": survey.ticket.reference
            }
            valid = _("The links are valid for %(days)s days.") % {"days": policy.link_valid_days}
        text_lines = [question]
        if hint:
            text_lines.append(hint)
        text_lines.append("\n".join(f"{label}: {url}" for label, url in choices))
        text_lines.append(valid)
        if quoted:
            text_lines.append(
                about + "\n" + "\n".join(_quote_text(who, body) for who, body in quoted)
            )
        links_html = " ".join(
            f'<a href="{html.escape(url)}">{html.escape(label)}</a>' for label, url in choices
        )
        body = [f"<p>{html.escape(question)}</p>"]
        if hint:
            body.append(f"<p>{html.escape(hint)}</p>")
        body.append(f"<p>{links_html}</p>")
        body.append(f"<p>{html.escape(valid)}</p>")
        if quoted:
            body.append(f"<p>{html.escape(about)}</p>")
            body.extend(
                f"<blockquote><p><strong>{html.escape(who)}</strong></p>"
                f"<p>{html.escape(text).replace(chr(10), '<br>')}</p></blockquote>"
                for who, text in quoted
            )
        buttons = [[{"text": label, "url": url} for label, url in choices]]
        return Composed(
            text="\n\n".join(text_lines),
            html="\n".join(body),
            metadata={"buttons": buttons, "csat": {"survey": survey.pk}},
        )


def _quote(ticket: Ticket) -> list[tuple[str, str]]:
    """The last messages between the customer and us, oldest first (notes and earlier
    surveys left out)."""
    recent = list(
        Message.objects.filter(ticket=ticket, direction__in=[Direction.IN, Direction.OUT])
        .exclude(origin=Origin.SYSTEM)
        .order_by("-created_at", "-id")
        .values_list("author_name", "text")[:QUOTED_MESSAGES]
    )
    quoted = []
    for author, text in reversed(recent):
        body = text.strip()
        if len(body) > QUOTE_CHARS:
            body = body[:QUOTE_CHARS].rstrip() + "…"
        if body:
            quoted.append((one_line(author, 120) or "—", body))
    return quoted


def _quote_text(who: str, body: str) -> str:
    return f"> {who}:\n" + "\n".join(f"> {line}" for line in body.splitlines())


# --- phone ---------------------------------------------------------------------------------------


class PhoneRoute(SurveyRoute):
    """A call cannot carry buttons: the question goes to the customer's most recent
    messenger conversation that can still be written to."""

    def target(self, ticket: Ticket) -> Ticket | None:
        return (
            Ticket.objects.filter(
                requester_id=ticket.requester_id,
                channel__in=MESSENGER_KINDS,
                is_public=False,
                channel_account__is_active=True,
            )
            .exclude(status=Status.CLOSED)
            .order_by("-updated_at", "-id")
            .first()
        )

    def unreachable_reason(self) -> str:
        return _("The customer has no messenger conversation with us to ask through.")


register("email", EmailRoute())
register("phone", PhoneRoute())
