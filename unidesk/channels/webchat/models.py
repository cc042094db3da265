"""Web chat visitors: who is behind a widget token, and what they told us about themselves.

A visitor's browser keeps a signed token (see ``tokens``); the row here is written when
the visitor first does something worth keeping (a message, the pre-chat form), so page
views that merely open the widget cost the database nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Visitor(models.Model):
    channel = models.ForeignKey(
        "unidesk_channels.ChannelAccount",
        on_delete=models.CASCADE,
        related_name="webchat_visitors",
        verbose_name=_("channel"),
    )
    # The random id inside the visitor's token: one browser (its storage) on one site.
    public_id = models.CharField(max_length=32, unique=True)
    # The conversation: one per anonymous browser, one per signed identity whatever the
    # browser (so a signed-in customer sees the same chat on their phone and laptop).
    thread_key = models.CharField(max_length=255)
    identity_kind = models.CharField(max_length=16)
    identity_value = models.CharField(max_length=320)
    # The site vouched for the identity with the channel secret (HMAC-SHA256).
    signed = models.BooleanField(default=False)
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Given in the pre-chat form, or left for an answer; unverified unless verified_at.
    email = models.EmailField(_("email"), blank=True)
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # The newest visitor message an agent has seen (the read marks in the widget).
    agent_read_until = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["channel", "thread_key"], name="visitor_thread")]
        verbose_name = _("web chat visitor")
        verbose_name_plural = _("web chat visitors")

    def __str__(self) -> str:
        return self.name or self.email or self.public_id

    @property
    def email_verified(self) -> bool:
        return bool(self.email and self.email_verified_at)


class EmailCode(models.Model):
    """A one-time code sent to an email address a visitor typed, proving it is theirs
    before their chat is joined to the customer known by that address."""

    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="email_codes")
    email = models.EmailField()
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["visitor", "-created_at"], name="email_code_recent")]

    def __str__(self) -> str:
        return f"code for {self.email}"


class EmailedReply(models.Model):
    """A reply the visitor did not see in the chat, sent to the email they left."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="webchat_emailed"
    )
    email = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"message {self.message_id} emailed to {self.email}"
