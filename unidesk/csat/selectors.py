"""Reads for satisfaction surveys."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from unidesk.accounts.models import Agent
from unidesk.core import clock
from unidesk.core.errors import NotFound, PermissionDenied
from unidesk.csat import links
from unidesk.csat.models import CsatPolicy, Score, Survey, SurveyState
from unidesk.tickets.models import Ticket
from unidesk.tickets.selectors import tickets_visible_to


def survey_for_link(token: str) -> Survey:
    """The survey a customer's link names; NotFound for a link that does not check out
    (changed, truncated, or from another desk), the same answer as for no survey."""
    claim = links.read_link_token(token)
    if claim is None:
        raise NotFound("No such survey.")
    survey = (
        Survey.objects.select_related("ticket", "channel_account")
        .filter(pk=claim.survey_id, state=SurveyState.SENT)
        .first()
    )
    if survey is None or not claim.valid_for(survey.nonce):
        raise NotFound("No such survey.")
    return survey


def survey_is_open(survey: Survey) -> bool:
    return survey.expires_at is None or survey.expires_at > clock.now()


def policy_of(survey: Survey) -> CsatPolicy | None:
    return CsatPolicy.objects.filter(channel_account_id=survey.channel_account_id).first()


def latest_rating_of(ticket: Ticket) -> Survey | None:
    """The rating of the ticket's most recent rated solve."""
    return (
        Survey.objects.filter(ticket=ticket, rated_at__isnull=False).order_by("-solve_seq").first()
    )


def latest_ratings(tickets: Iterable[Ticket]) -> dict[int, Survey]:
    """``latest_rating_of`` for many tickets in one query."""
    ids = [ticket.pk for ticket in tickets]
    found: dict[int, Survey] = {}
    for survey in Survey.objects.filter(ticket_id__in=ids, rated_at__isnull=False).order_by(
        "ticket_id", "-solve_seq"
    ):
        found.setdefault(survey.ticket_id, survey)
    return found


def surveys_of_ticket(agent: Agent, ticket: Ticket) -> list[Survey]:
    """Every survey of a ticket the agent sees, newest solve first."""
    if not tickets_visible_to(agent).filter(pk=ticket.pk).exists():
        raise NotFound(f"Ticket {ticket.pk} not found.")
    return list(Survey.objects.filter(ticket=ticket).select_related("agent").order_by("-solve_seq"))


def bad_ratings_for_review(viewer: Agent, *, reviewed: bool = False) -> QuerySet[Survey]:
    """Bad ratings waiting for a supervisor (or, ``reviewed``, already dealt with)."""
    if not viewer.sees_all_tickets:
        raise PermissionDenied("Only supervisors review ratings.")
    return (
        Survey.objects.filter(score=Score.BAD)
        .filter(Q(reviewed_at__isnull=not reviewed))
        .select_related("ticket", "agent", "group", "reviewed_by", "customer")
        .order_by("-rated_at", "-id")
    )


def survey_get_for_review(viewer: Agent, survey_id: int) -> Survey:
    survey = bad_ratings_for_review(viewer).filter(pk=survey_id).first() or (
        bad_ratings_for_review(viewer, reviewed=True).filter(pk=survey_id).first()
    )
    if survey is None:
        raise NotFound(f"Rating {survey_id} not found.")
    return survey


def latest_survey_of(ticket: Ticket) -> Survey | None:
    """The survey of the ticket's latest solve (rated or not)."""
    return (
        Survey.objects.filter(ticket=ticket).select_related("agent").order_by("-solve_seq").first()
    )
