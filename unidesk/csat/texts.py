"""What the survey says, in the customer's language."""

from __future__ import annotations

import re
from typing import Final

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from unidesk.csat.models import CsatPolicy, Scale, Score

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
SUPPORTED: Final = ("en", "ru")


def default_question() -> str:
    return _(
        "How would you rate the help our support agent gave you? We are asking about our "
        "support, not about the product as a whole."
    )


def question(policy: CsatPolicy | None, language: str) -> str:
    """The policy's own wording in ``language`` when it has one, else the standard one."""
    custom = ""
    if policy is not None:
        custom = policy.question_ru if language == "ru" else policy.question_en
    if custom.strip():
        return custom.strip()
    with translation.override(language):
        return default_question()


def score_of(rating: int, scale: int) -> str:
    """Three points map one to one; five points: 1–2 bad, 3 okay, 4–5 great."""
    if scale == Scale.THREE:
        return (Score.BAD, Score.OKAY, Score.GREAT)[rating - 1]
    if rating <= 2:
        return Score.BAD
    return Score.OKAY if rating == 3 else Score.GREAT


def rating_label(rating: int, scale: int) -> str:
    """The text on a rating's button (in the active language)."""
    if scale == Scale.THREE:
        return {
            1: "😞 " + pgettext("csat rating", "Bad"),
            2: "😐 " + pgettext("csat rating", "Okay"),
            3: "😃 " + pgettext("csat rating", "Great"),
        }[rating]
    return f"{rating} ★"


def scale_hint(scale: int) -> str:
    if scale == Scale.FIVE:
        return _("1 is very bad, 5 is excellent.")
    return ""


def detect_language(customer_language: str, sample: str) -> str:
    """The customer's language when known, else the one their words are written in, else
    the desk's."""
    code = (customer_language or "").split("-")[0].lower()
    if code in SUPPORTED:
        return code
    cyrillic = len(_CYRILLIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cyrillic and cyrillic >= latin:
        return "ru"
    if latin:
        return "en"
    default = settings.LANGUAGE_CODE.split("-")[0]
    return default if default in SUPPORTED else "en"


def choose_a_rating(scale: int) -> str:
    return _("Choose a rating from 1 to %(n)s.") % {"n": scale}
