"""What the desk says by itself: out-of-hours replies, the "nobody is free yet" notice of
the live chat, and a greeting bot per channel with the answers it knows."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS_HELP = _(
    "Empty: the built-in text in the customer's language. {promise} is replaced by when a "
    "person will answer (from the group's business hours), {ticket} by the ticket number."
)


class AutoReplyPolicy(models.Model):
    """The desk's own words to new conversations of one group (the row without a group
    is for every group that has none of its own)."""

    group = models.OneToOneField(
        "accounts.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="auto_reply_policy",
        verbose_name=_("group"),
        help_text=_("Empty: every group without a policy of its own."),
    )
    out_of_hours = models.BooleanField(
        _("reply outside business hours"),
        default=True,
        help_text=_(
            "A new conversation that starts outside the group's business hours gets an "
            "honest reply saying when a person will answer. Channels that acknowledge every "
            "new conversation themselves (email) are skipped."
        ),
    )
    out_of_hours_en = models.TextField(_("out-of-hours reply (English)"), blank=True,
                                       help_text=PLACEHOLDERS_HELP)  # fmt: skip
    out_of_hours_ru = models.TextField(_("out-of-hours reply (Russian)"), blank=True,
                                       help_text=PLACEHOLDERS_HELP)  # fmt: skip
    pickup_en = models.TextField(
        _("nobody free yet (English)"),
        blank=True,
        help_text=_(
            "Said in the live chat when no agent has taken a new chat within the channel's "
            "pickup time, during business hours; the visitor is offered to leave an email."
        ),
    )
    pickup_ru = models.TextField(_("nobody free yet (Russian)"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Coalesce("group", models.Value(0)), name="auto_reply_policy_per_group"
            ),
        ]
        verbose_name = _("auto-reply policy")
        verbose_name_plural = _("auto-reply policies")

    def __str__(self) -> str:
        return str(self.group) if self.group_id else str(_("Every group"))


class AutoReplySent(models.Model):
    """One automatic message of a kind per ticket, whatever retries the worker makes."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="auto_reply_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"


class ChatBot(models.Model):
    """A greeting bot on one channel: introduces itself, answers what it knows (its
    answers), and hands over to a person when it cannot help or is asked to."""

    channel = models.OneToOneField(
        "unidesk_channels.ChannelAccount",
        on_delete=models.CASCADE,
        related_name="chat_bot",
        verbose_name=_("channel"),
    )
    enabled = models.BooleanField(_("switched on"), default=False)
    name = models.CharField(
        _("name"), max_length=80, blank=True, help_text=_("Empty: “Assistant bot”.")
    )
    intro_en = models.TextField(
        _("introduction (English)"),
        blank=True,
        help_text=_("Empty: a built-in introduction that says what the bot can do."),
    )
    intro_ru = models.TextField(_("introduction (Russian)"), blank=True)

    class Meta:
        verbose_name = _("chat bot")
        verbose_name_plural = _("chat bots")

    def __str__(self) -> str:
        return f"{self.name or _('Assistant bot')} ({self.channel})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        from unidesk.automation.replies import forget_bot_channels

        forget_bot_channels()


class BotAnswer(models.Model):
    """One question the bot can answer. It answers when the customer's words match the
    question or the keywords (in any grammatical form), or when the button is pressed."""

    bot = models.ForeignKey(ChatBot, on_delete=models.CASCADE, related_name="answers")
    question_en = models.CharField(_("question (English)"), max_length=120)
    question_ru = models.CharField(_("question (Russian)"), max_length=120, blank=True)
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_("More words that point to this answer, comma separated, any language."),
    )
    answer_en = models.TextField(_("answer (English)"))
    answer_ru = models.TextField(_("answer (Russian)"), blank=True)
    as_button = models.BooleanField(_("offer as a button"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("bot answer")
        verbose_name_plural = _("bot answers")

    def __str__(self) -> str:
        return self.question_en


class BotState(models.TextChoices):
    ACTIVE = "active", _("The bot is answering")
    HANDED_OVER = "handed_over", _("Handed over to a person")


class BotConversation(models.Model):
    """The bot's part in one ticket."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="bot_conversation"
    )
    bot = models.ForeignKey(ChatBot, on_delete=models.CASCADE, related_name="conversations")
    state = models.CharField(max_length=16, choices=BotState.choices, default=BotState.ACTIVE)
    # The newest customer message the bot has dealt with (tasks may run twice).
    handled_until = models.BigIntegerField(default=0)
    answers_given = models.PositiveIntegerField(default=0)
    handover_reason = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    handed_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bot conversation")
        verbose_name_plural = _("bot conversations")

    def __str__(self) -> str:
        return f"bot on ticket {self.ticket_id}: {self.state}"
