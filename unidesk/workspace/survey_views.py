"""The public survey page a customer reaches from a survey link (no login).

The link itself is the credential: it is signed, names one survey of one customer, and
expires. The page shows the question and the customer's own answer, nothing about anyone
else; answers are posted with Django's CSRF protection. Opening the link never records a
rating (mail scanners open links too): the rating is recorded only when the form is sent.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, NotFound, ValidationFailed
from unidesk.csat import texts
from unidesk.csat.models import RatingSource, Survey
from unidesk.csat.selectors import policy_of, survey_for_link, survey_is_open
from unidesk.csat.services import survey_rate


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The link is the credential; it must not leak to another site in a Referer. (Not
    # "no-referrer": browsers then send "Origin: null" with the form, which CSRF refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _context(survey: Survey, **extra: Any) -> dict[str, Any]:
    policy = policy_of(survey)
    return {
        "survey": survey,
        "question": texts.question(policy, survey.language),
        "hint": texts.scale_hint(survey.scale),
        "choices": [(r, texts.rating_label(r, survey.scale)) for r in range(1, survey.scale + 1)],
        "ask_comment": policy is None or policy.ask_comment,
        "open": survey_is_open(survey),
        **extra,
    }


def _chosen(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = survey_for_link(token)
    except NotFound:
        return _private(render(request, "survey/invalid.html", status=404))
    with translation.override(found.language):
        if not survey_is_open(found):
            return _private(render(request, "survey/page.html", _context(found), status=410))
        if request.method == "GET":
            context = _context(
                found,
                selected=_chosen(request.GET.get("r")) or found.rating,
                comment=found.comment,
                thanks=request.GET.get("thanks") == "1" and found.is_rated,
            )
            return _private(render(request, "survey/page.html", context))
        rating = _chosen(request.POST.get("rating"))
        comment = request.POST.get("comment")
        actor = Actor(kind="customer", id=found.customer_id, name="survey link")
        try:
            if rating is None:
                raise ValidationFailed(
                    texts.choose_a_rating(found.scale), fields={"rating": "required"}
                )
            survey_rate(
                survey=found, rating=rating, comment=comment, actor=actor, source=RatingSource.LINK
            )
        except (ValidationFailed, Conflict) as exc:
            context = _context(found, selected=rating, comment=comment or "", error=exc.message)
            return _private(render(request, "survey/page.html", context, status=exc.status))
        return _private(redirect(f"{request.path}?thanks=1"))
