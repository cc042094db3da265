"""Writes for satisfaction surveys: the channel's policy, asking after a solve, recording
the answer.

The life of a survey: a ticket is solved → ``survey_schedule`` records one survey for that
solve (unique per ticket and solve) with the moment its channel asks (``routes``) →
``survey_send`` puts the question in the conversation through the outbox, or records why
it could not → the customer presses a button or opens the link → ``survey_rate`` records
the rating (again: it is updated, never duplicated) and publishes ``SurveyRated`` and, for a
bad one, ``BadRatingReceived``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import automatic_message_send
from unidesk.core import clock
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from unidesk.core.events import publish
from unidesk.core.text import strip_control_characters
from unidesk.csat import links, texts
from unidesk.csat.events import BadRatingReceived, SurveyRated, SurveySent
from unidesk.csat.models import CsatPolicy, RatingSource, Scale, Score, Survey, SurveyState
from unidesk.csat.routes import route_for
from unidesk.tickets.models import Direction, Message, Origin, Status, Ticket

logger = logging.getLogger("unidesk.csat")

SOLVED_STATES: Final = (Status.SOLVED, Status.CLOSED)
# A solve noticed later than this (after an outage, or history loaded by an importer) is
# not asked about any more: the customer has moved on.
TOO_LATE: Final = timedelta(days=1)
MAX_COMMENT: Final = 2000
SWEEP_BATCH: Final = 200


# --- the policy --------------------------------------------------------------------------------


def csat_policy_set(
    *,
    account: ChannelAccount,
    enabled: bool,
    scale: int = Scale.THREE,
    ask_comment: bool = True,
    question_en: str = "",
    question_ru: str = "",
    email_delay_minutes: int = 120,
    cooldown_hours: int = 72,
    link_valid_days: int = 14,
) -> CsatPolicy:
    """Switch a channel's survey on or off and set how it asks. A two-point scale is never
    offered: it cannot tell "fine" from "great"."""
    if scale not in Scale.values:
        raise ValidationFailed(
            _("The scale has three or five points."), fields={"scale": "invalid"}
        )
    if not 0 <= email_delay_minutes <= 7 * 24 * 60:
        raise ValidationFailed(
            _("The email delay is at most a week."), fields={"email_delay_minutes": "invalid"}
        )
    if not 1 <= link_valid_days <= 90:
        raise ValidationFailed(
            _("Links stay valid between 1 and 90 days."), fields={"link_valid_days": "invalid"}
        )
    policy, _created = CsatPolicy.objects.update_or_create(
        channel_account=account,
        defaults={
            "enabled": enabled,
            "scale": scale,
            "ask_comment": ask_comment,
            "question_en": question_en.strip()[:1000],
            "question_ru": question_ru.strip()[:1000],
            "email_delay_minutes": email_delay_minutes,
            "cooldown_hours": cooldown_hours,
            "link_valid_days": link_valid_days,
        },
    )
    return policy


# --- asking ------------------------------------------------------------------------------------


def _language(ticket: Ticket) -> str:
    sample = (
        Message.objects.filter(ticket=ticket, direction=Direction.IN)
        .order_by("-created_at")
        .values_list("text", flat=True)
        .first()
    )
    return texts.detect_language(ticket.requester.language, (sample or "")[:2000])


def _cooldown_reason(ticket: Ticket, policy: CsatPolicy) -> str:
    since = clock.now() - timedelta(hours=policy.cooldown_hours)
    recent = (
        Survey.objects.filter(ticket=ticket, state=SurveyState.SENT, sent_at__gte=since)
        .order_by("-sent_at")
        .first()
    )
    if recent is None or recent.sent_at is None:
        return ""
    return _("Asked already on %(when)s; asked again only after %(hours)s hours.") % {
        "when": recent.sent_at.isoformat(timespec="minutes"),
        "hours": policy.cooldown_hours,
    }


def survey_schedule(*, ticket_id: int, actor: Actor | None = None) -> Survey | None:
    """Record the survey for the ticket's current solve, if its channel asks. Idempotent:
    the survey of a solve that already has one is returned as it is. The rating will be
    attributed to the group of the ticket and to the agent who solved it (or, solved by
    the system, its assignee)."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("requester")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.status not in SOLVED_STATES or ticket.solved_at is None:
            return None
        existing = Survey.objects.filter(ticket=ticket, solve_seq=ticket.reopen_count).first()
        if existing is not None:
            return existing
        policy = CsatPolicy.objects.filter(
            channel_account_id=ticket.channel_account_id, enabled=True
        ).first()
        if policy is None or clock.now() - ticket.solved_at > TOO_LATE:
            return None
        state, reason = SurveyState.SCHEDULED, ""
        if ticket.is_public:
            state, reason = SurveyState.CANCELLED, _("Public threads are never surveyed.")
        else:
            reason = _cooldown_reason(ticket, policy)
            if reason:
                state = SurveyState.CANCELLED
        solver = actor.agent_id if actor is not None and actor.agent_id else ticket.assignee_id
        try:
            with transaction.atomic():
                return Survey.objects.create(
                    ticket=ticket,
                    solve_seq=ticket.reopen_count,
                    customer_id=ticket.requester_id,
                    channel_account_id=ticket.channel_account_id,
                    channel=ticket.channel,
                    group_id=ticket.group_id,
                    agent_id=solver,
                    solved_at=ticket.solved_at,
                    language=_language(ticket),
                    scale=policy.scale,
                    state=state,
                    state_reason=reason,
                    due_at=route_for(ticket.channel).due_at(ticket, policy, ticket.solved_at),
                    nonce=links.new_nonce(),
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
        except IntegrityError:
            # Two schedulers raced for the same solve; the first one's survey stands.
            return Survey.objects.filter(ticket=ticket, solve_seq=ticket.reopen_count).first()


def surveys_cancel_scheduled(*, ticket_id: int, reason: str) -> int:
    """The ticket was reopened before its survey went out: it is not asked."""
    return Survey.objects.filter(ticket_id=ticket_id, state=SurveyState.SCHEDULED).update(
        state=SurveyState.CANCELLED, state_reason=reason[:300], updated_at=clock.now()
    )


def surveys_mark_undelivered(*, message_id: int, reason: str) -> int:
    """The question never reached the customer (the platform refused it for good)."""
    return Survey.objects.filter(message_id=message_id, state=SurveyState.SENT).update(
        state=SurveyState.UNREACHABLE, state_reason=reason[:300], updated_at=clock.now()
    )


def _close(survey: Survey, state: str, reason: str) -> Survey:
    survey.state = state
    survey.state_reason = reason[:300]
    survey.updated_at = clock.now()
    survey.save(update_fields=["state", "state_reason", "updated_at"])
    return survey


def survey_send(*, survey_id: int) -> Survey | None:
    """Ask, if the survey is due: the question goes into the conversation through the
    outbox. A survey whose ticket was reopened is cancelled; one whose conversation cannot
    be reached is recorded as "could not ask" with the reason."""
    now = clock.now()
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .select_related("ticket__requester", "ticket__group")
            .filter(pk=survey_id)
            .first()
        )
        if survey is None or survey.state != SurveyState.SCHEDULED:
            return survey
        ticket = survey.ticket
        if ticket.reopen_count != survey.solve_seq or ticket.status not in SOLVED_STATES:
            return _close(survey, SurveyState.CANCELLED, _("Reopened before the survey was sent."))
        policy = CsatPolicy.objects.filter(
            channel_account_id=survey.channel_account_id, enabled=True
        ).first()
        if policy is None:
            return _close(survey, SurveyState.CANCELLED, _("Surveys were switched off."))
        route = route_for(survey.channel)
        due = route.due_at(ticket, policy, survey.solved_at)
        if due > now:
            # A message came after the solve: the email waits for it to settle.
            survey.due_at = due
            survey.save(update_fields=["due_at"])
            return survey
        target = route.target(ticket)
        composed = route.compose(survey, policy)
        message = None
        if target is not None:
            message = automatic_message_send(
                ticket=target,
                text=composed.text,
                html=composed.html,
                origin=Origin.SYSTEM,
                author_name=_author_name(target),
                metadata=composed.metadata,
            )
        if message is None:
            return _close(survey, SurveyState.UNREACHABLE, route.unreachable_reason())
        survey.state = SurveyState.SENT
        survey.state_reason = ""
        survey.sent_at = now
        survey.expires_at = now + timedelta(days=policy.link_valid_days)
        survey.sent_ticket = target
        survey.message = message
        survey.updated_at = now
        survey.save(
            update_fields=[
                "state", "state_reason", "sent_at", "expires_at", "sent_ticket", "message",
                "updated_at",
            ]
        )  # fmt: skip
        publish(SurveySent(survey_id=survey.pk, ticket_id=ticket.pk))
    return survey


def _author_name(ticket: Ticket) -> str:
    account = ticket.channel_account
    return account.name if account is not None else "unidesk"


def surveys_schedule_missed(limit: int = SWEEP_BATCH) -> int:
    """Schedule surveys for recent solves that have none (the subscriber runs after commit
    in the process that solved the ticket; a crash in between would skip the survey)."""
    since = clock.now() - TOO_LATE
    missed = list(
        Ticket.objects.filter(
            status__in=SOLVED_STATES,
            updated_at__gte=since,
            solved_at__gte=since,
            channel_account__csat_policy__enabled=True,
        )
        .exclude(
            Exists(
                Survey.objects.filter(ticket_id=OuterRef("pk"), solve_seq=OuterRef("reopen_count"))
            )
        )
        .values_list("pk", flat=True)[:limit]
    )
    for ticket_id in missed:
        survey_schedule(ticket_id=ticket_id)
    return len(missed)


def surveys_send_due(limit: int = SWEEP_BATCH) -> int:
    """Send every survey that is due (the email ones wait hours); returns how many were
    looked at."""
    due = list(
        Survey.objects.filter(state=SurveyState.SCHEDULED, due_at__lte=clock.now())
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    for survey_id in due:
        try:
            survey_send(survey_id=survey_id)
        except Exception:
            # One broken survey must not hold up the others; it is tried again next time.
            logger.exception("survey %s could not be sent", survey_id)
    return len(due)


def surveys_sweep() -> int:
    return surveys_schedule_missed() + surveys_send_due()


# --- answers -----------------------------------------------------------------------------------


def _clean_comment(comment: str) -> str:
    cleaned = strip_control_characters(comment or "").replace("\r\n", "\n").strip()
    if len(cleaned) > MAX_COMMENT:
        raise ValidationFailed(
            _("The comment is longer than %(n)s characters.") % {"n": MAX_COMMENT},
            fields={"comment": "too_long"},
        )
    return cleaned


def survey_rate(
    *,
    survey: Survey,
    rating: int,
    actor: Actor,
    source: str,
    comment: str | None = None,
) -> Survey:
    """Record the customer's rating (and comment, when given). Rating again changes the
    same survey. Refused when the survey was never sent or its links have expired."""
    if not isinstance(rating, int) or not 1 <= rating <= survey.scale:
        raise ValidationFailed(
            _("Choose a rating from 1 to %(n)s.") % {"n": survey.scale},
            fields={"rating": "out_of_range"},
        )
    cleaned = _clean_comment(comment) if comment is not None else None
    now = clock.now()
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.state != SurveyState.SENT:
            raise Conflict(_("This survey was not sent."), fields={"survey": "not_sent"})
        if locked.expires_at is not None and locked.expires_at <= now:
            raise Conflict(_("This survey has expired."), fields={"survey": "expired"})
        previous_score = locked.score
        locked.rating = rating
        locked.score = texts.score_of(rating, locked.scale)
        if cleaned is not None:
            locked.comment = cleaned
        locked.rated_at = now
        locked.rating_source = source
        locked.updated_at = now
        locked.save(
            update_fields=["rating", "score", "comment", "rated_at", "rating_source", "updated_at"]
        )
        facts: dict[str, Any] = {
            "survey_id": locked.pk,
            "ticket_id": locked.ticket_id,
            "rating": rating,
            "scale": locked.scale,
            "actor": actor,
            "agent_id": locked.agent_id,
            "group_id": locked.group_id,
        }
        publish(SurveyRated(score=locked.score, **facts))
        if locked.score == Score.BAD and previous_score != Score.BAD:
            publish(BadRatingReceived(**facts))
    return locked


def survey_rate_from_button(*, message_id: int) -> Survey | None:
    """A customer pressed a rating button in the conversation: record it and thank them
    (offering the page for a comment). A press that does not check out (another
    customer's survey, a changed signature) is refused and logged."""
    message = (
        Message.objects.select_related("ticket", "author_customer").filter(pk=message_id).first()
    )
    if message is None:
        return None
    claim = links.read_button_data(str((message.metadata or {}).get("button", "")))
    survey = (
        Survey.objects.select_related("ticket").filter(pk=claim.survey_id).first()
        if claim is not None
        else None
    )
    if claim is None or survey is None or not claim.valid_for(survey.nonce):
        logger.warning("refused a survey button on message %s: not a valid press", message_id)
        return None
    if survey.ticket.requester_id != message.ticket.requester_id:
        logger.warning("refused a survey button on message %s: another customer", message_id)
        return None
    customer = message.author_customer
    actor = Actor.for_customer(customer) if customer else Actor.system("customer")
    assert claim.rating is not None  # a button always names its rating
    try:
        rated = survey_rate(
            survey=survey, rating=claim.rating, actor=actor, source=RatingSource.BUTTON
        )
    except (Conflict, ValidationFailed) as exc:
        logger.info("survey %s not rated from a button: %s", survey.pk, exc.message)
        with translation.override(survey.language):
            reply = _("Sorry, this survey is closed now.")
        automatic_message_send(ticket=message.ticket, text=reply, origin=Origin.SYSTEM)
        return None
    _thank(message.ticket, rated)
    return rated


def _thank(ticket: Ticket, survey: Survey) -> None:
    policy = CsatPolicy.objects.filter(channel_account_id=survey.channel_account_id).first()
    with translation.override(survey.language):
        lines = [_("Thank you for your rating!")]
        if policy is None or policy.ask_comment:
            lines.append(
                _("If you would like to tell us more, you can add a comment here: %(link)s")
                % {"link": links.link_url(survey.pk, survey.nonce)}
            )
    automatic_message_send(
        ticket=ticket,
        text="\n".join(lines),
        origin=Origin.SYSTEM,
        author_name=_author_name(ticket),
        metadata={"csat": {"survey": survey.pk, "thanks": True}},
    )


# --- review ------------------------------------------------------------------------------------


def survey_mark_reviewed(*, survey: Survey, reviewer: Agent) -> Survey:
    """A supervisor has read a bad rating and dealt with it."""
    if not reviewer.sees_all_tickets:
        raise PermissionDenied(_("Only supervisors review ratings."))
    now = clock.now()
    Survey.objects.filter(pk=survey.pk, reviewed_at__isnull=True).update(
        reviewed_at=now, reviewed_by=reviewer, updated_at=now
    )
    survey.refresh_from_db(fields=["reviewed_at", "reviewed_by", "updated_at"])
    return survey
