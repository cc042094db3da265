"""Customer satisfaction surveys: the policy of each channel and one survey per solve."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scale(models.IntegerChoices):
    THREE = 3, _("Three points: bad, okay, great")
    FIVE = 5, _("Five points: 1 to 5")


class Score(models.TextChoices):
    """What a rating means whatever the scale (five points: 1–2 bad, 3 okay, 4–5 great)."""

    BAD = "bad", _("Bad")
    OKAY = "okay", _("Okay")
    GREAT = "great", _("Great")


class CsatPolicy(models.Model):
    """Whether and how a channel asks its customers to rate the support they got."""

    channel_account = models.OneToOneField(
        "unidesk_channels.ChannelAccount",
        on_delete=models.CASCADE,
        related_name="csat_policy",
        verbose_name=_("channel"),
    )
    enabled = models.BooleanField(_("ask for a rating"), default=False)
    scale = models.PositiveSmallIntegerField(_("scale"), choices=Scale.choices, default=Scale.THREE)
    ask_comment = models.BooleanField(
        _("offer a comment"), default=True, help_text=_("Customers may add a few words.")
    )
    question_en = models.TextField(
        _("question (English)"), blank=True, help_text=_("Empty: the standard question.")
    )
    question_ru = models.TextField(
        _("question (Russian)"), blank=True, help_text=_("Empty: the standard question.")
    )
    email_delay_minutes = models.PositiveIntegerField(
        _("email: delay after solving (minutes)"),
        default=120,
        help_text=_(
            "Counted from the solve and from the last message; never later than the end of "
            "the group's next working day."
        ),
    )
    cooldown_hours = models.PositiveIntegerField(
        _("ask again after (hours)"),
        default=72,
        help_text=_("A ticket reopened and solved again is asked again only after this."),
    )
    link_valid_days = models.PositiveIntegerField(_("links stay valid (days)"), default=14)

    class Meta:
        verbose_name = _("satisfaction survey settings")
        verbose_name_plural = _("satisfaction survey settings")

    def __str__(self) -> str:
        return f"CSAT policy of channel {self.channel_account_id}"


class SurveyState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Asked")
    UNREACHABLE = "unreachable", _("Could not ask")
    CANCELLED = "cancelled", _("Cancelled")


class RatingSource(models.TextChoices):
    BUTTON = "button", _("Button in the conversation")
    LINK = "link", _("Survey page")


class Survey(models.Model):
    """The question asked after one solve of a ticket, and the customer's answer.

    Unique per (ticket, solve): the n-th solve of a ticket is the one after ``solve_seq``
    reopenings. The rating is attributed to the group and agent who solved the ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="surveys")
    solve_seq = models.PositiveIntegerField()
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel_account = models.ForeignKey(
        "unidesk_channels.ChannelAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(max_length=16, blank=True)
    group = models.ForeignKey(
        "accounts.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csat_surveys",
    )
    solved_at = models.DateTimeField()
    language = models.CharField(max_length=8, default="en")
    scale = models.PositiveSmallIntegerField(choices=Scale.choices, default=Scale.THREE)

    state = models.CharField(
        max_length=16, choices=SurveyState.choices, default=SurveyState.SCHEDULED
    )
    state_reason = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # The conversation the question went through (for a phone call: a messenger chat).
    sent_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=32)
    expires_at = models.DateTimeField(null=True, blank=True)

    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.CharField(max_length=8, choices=Score.choices, blank=True)
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    rating_source = models.CharField(max_length=8, choices=RatingSource.choices, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-solved_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "solve_seq"], name="survey_one_per_solve"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=F("scale")),
                name="survey_rating_on_scale",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="survey_due"),
            models.Index(fields=["rated_at"], name="survey_rated"),
            models.Index(fields=["group", "rated_at"], name="survey_group_rated"),
            models.Index(fields=["agent", "rated_at"], name="survey_agent_rated"),
            models.Index(fields=["score", "reviewed_at", "rated_at"], name="survey_review"),
            models.Index(fields=["ticket", "-solved_at"], name="survey_ticket_latest"),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} of ticket {self.ticket_id} ({self.state})"

    @property
    def is_rated(self) -> bool:
        return self.rating is not None
