"""The demo desk's satisfaction surveys: what the reports page rates the week by.

Called once by the loader after the week is replayed: every channel but the phone asks for
a rating, every solve of the week has its survey (most answered, a few with comments, one
or two bad ones waiting for the head of support's review). The groups' working hours are
set with the desk (``desk.HOURS``), so reports show calendar and business time side by side.
Nothing is sent: the surveys are recorded as already asked, as the rest of the demo is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from unidesk.channels.models import ChannelAccount
from unidesk.csat import links, texts
from unidesk.csat.models import RatingSource, Survey, SurveyState
from unidesk.csat.services import csat_policy_set
from unidesk.reports.services import metrics_refresh_many
from unidesk.tickets.models import Direction, Message, Status, Ticket

SEED: Final = 2718
LINK_CHANNELS: Final = ("email", "api")
# How often customers answer, and what they say (three points: bad, okay, great).
ANSWERED: Final = 0.75
RATINGS: Final = (3, 3, 3, 3, 3, 3, 2, 2, 3, 1)
COMMENTS: Final = {
    "ru": {
        3: ["Спасибо, всё быстро и по делу!", "Очень вежливо, помогли подобрать размер."],
        2: ["Помогли, но пришлось ждать ответа."],
        1: ["Ответили не по существу, пришлось писать три раза."],
    },
    "en": {
        3: ["Quick and friendly, thank you!"],
        2: ["Fine in the end, but it took a while."],
        1: ["Nobody really read my message."],
    },
}


def load(*, ticket_ids: Sequence[int], now: datetime) -> int:
    """Switch surveys on for the demo's channels and record a survey for the latest solve
    of each solved demo ticket; returns how many were recorded."""
    for account in ChannelAccount.objects.exclude(kind="phone"):
        csat_policy_set(account=account, enabled=True)
    rng = random.Random(SEED)
    tickets = (
        Ticket.objects.filter(pk__in=ticket_ids, status__in=[Status.SOLVED, Status.CLOSED])
        .exclude(solved_at=None)
        .select_related("requester")
        .order_by("solved_at")
    )
    surveys = [_survey(ticket, rng, now) for ticket in tickets if not ticket.is_public]
    Survey.objects.bulk_create([s for s in surveys if s is not None], ignore_conflicts=True)
    # Measured now, in the working hours just set (the subscribers would do it after the
    # loader's commit too; this way the numbers are there inside its transaction).
    metrics_refresh_many(ticket_ids=ticket_ids)
    return len(surveys)


def _survey(ticket: Ticket, rng: random.Random, now: datetime) -> Survey | None:
    solved = ticket.solved_at
    if solved is None:
        return None
    sample = (
        Message.objects.filter(ticket=ticket, direction=Direction.IN)
        .values_list("text", flat=True)
        .first()
    )
    language = texts.detect_language(ticket.requester.language, sample or "")
    asked = max(solved, min(solved + timedelta(minutes=2), now))
    if ticket.channel == "email":
        asked = min(solved + timedelta(hours=2), now)
    survey = Survey(
        ticket=ticket,
        solve_seq=ticket.reopen_count,
        customer_id=ticket.requester_id,
        channel_account_id=ticket.channel_account_id,
        channel=ticket.channel,
        group_id=ticket.group_id,
        agent_id=ticket.assignee_id,
        solved_at=solved,
        language=language,
        scale=3,
        state=SurveyState.SENT,
        due_at=asked,
        sent_at=asked,
        sent_ticket=ticket,
        nonce=links.new_nonce(),
        expires_at=asked + timedelta(days=14),
        created_at=solved,
        updated_at=asked,
    )
    answered_by = asked + timedelta(minutes=rng.randint(1, 180))
    if rng.random() < ANSWERED and answered_by < now:
        rating = rng.choice(RATINGS)
        survey.rating = rating
        survey.score = texts.score_of(rating, 3)
        survey.rated_at = answered_by
        # Letters carry links; chats carry buttons.
        survey.rating_source = (
            RatingSource.LINK if ticket.channel in LINK_CHANNELS else RatingSource.BUTTON
        )
        if rating == 1 or rng.random() < 0.35:
            survey.comment = rng.choice(COMMENTS[language][rating])
    return survey
