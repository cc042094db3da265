"""Template helpers for the reports and ratings pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from unidesk.csat import texts
from unidesk.csat.models import Survey
from unidesk.csat.selectors import latest_survey_of

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """A duration as people say it: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return _("%(n)s s") % {"n": total}
    minutes = total // 60
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
        return _("%(h)s h") % {"h": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    return _("%(d)s d") % {"d": days}


@register.filter
def number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g} %"


@register.simple_tag
def rating_label(survey: Survey) -> str:
    if survey.rating is None:
        return ""
    return texts.rating_label(survey.rating, survey.scale)


@register.inclusion_tag("workspace/_csat_panel.html")
def csat_panel(ticket: object) -> dict[str, object]:
    """The satisfaction survey of the ticket's latest solve, for its sidebar."""
    return {"survey": latest_survey_of(ticket)}  # type: ignore[arg-type]
