"""Connected inboxes (one per mailbox, bot, page…), and the outbox of replies to deliver."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from unidesk.core import crypto


class ChannelKind(models.TextChoices):
    API = "api", _("API")
    EMAIL = "email", _("Email")
    WEBCHAT = "webchat", _("Web chat")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VK = "vk", _("VK")
    FACEBOOK = "facebook", _("Facebook Messenger")
    INSTAGRAM = "instagram", _("Instagram Direct")
    PHONE = "phone", _("Phone")


class ChannelAccount(models.Model):
    """One connected inbox. ``key`` is public (it appears in webhook URLs and the widget
    tag); the inbound secret and platform credentials are encrypted at rest."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(_("key"), max_length=64, unique=True)
    group = models.ForeignKey(
        "accounts.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("group for new conversations"),
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def secrets(self) -> dict[str, Any]:
        # Decrypted once per stored value: webhooks verify with the secret on every request
        # and a remembered channel (``selectors.remembered_channel``) serves many of them.
        cached = self.__dict__.get("_secrets_decrypted")
        if cached is None or cached[0] != self.secrets_encrypted:
            cached = (self.secrets_encrypted, crypto.decrypt_json(self.secrets_encrypted))
            self.__dict__["_secrets_decrypted"] = cached
        return dict(cached[1])

    def set_secrets(self, values: dict[str, Any]) -> None:
        self.secrets_encrypted = crypto.encrypt_json(
            {k: v for k, v in values.items() if v not in (None, "")}
        )


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """The outbox row of one outgoing message, written in the same transaction as the
    message. The worker claims it (state ``sending`` with a lease), calls the adapter, and
    records the outcome; an expired lease means the worker died and the row is retried
    with the same idempotency key."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="delivery"
    )
    channel_account = models.ForeignKey(
        ChannelAccount, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default="queued")
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"delivery of message {self.message_id}: {self.state}"


class InboundState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Processed")
    UNPARSEABLE = "unparseable", _("Not understood")
    FAILED = "failed", _("Failed")


class InboundRecord(models.Model):
    """One verified webhook delivery (or polled update), stored as received before it is
    answered, and processed by a worker afterwards.

    Unique on (channel, delivery id), so a platform delivering the same update again
    creates nothing. Payloads that cannot be understood are kept and marked, never
    dropped."""

    channel_account = models.ForeignKey(
        ChannelAccount, on_delete=models.CASCADE, related_name="inbound_records"
    )
    delivery_id = models.CharField(max_length=128)
    body = models.BinaryField()
    state = models.CharField(
        max_length=16, choices=InboundState.choices, default=InboundState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel_account", "delivery_id"], name="inbound_delivery_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel_account", "state", "next_attempt_at", "id"], name="inbound_due"
            ),
            models.Index(fields=["state", "received_at"], name="inbound_state_age"),
        ]
        verbose_name = _("received webhook")
        verbose_name_plural = _("received webhooks")

    def __str__(self) -> str:
        return f"{self.delivery_id} on channel {self.channel_account_id}: {self.state}"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")


class ChannelLease(models.Model):
    """A named lease on one channel with a small cursor: one worker at a time drains a
    channel's received webhooks, or polls its bot (the cursor is Telegram's offset)."""

    channel_account = models.ForeignKey(
        ChannelAccount, on_delete=models.CASCADE, related_name="leases"
    )
    name = models.CharField(max_length=32)
    holder = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    cursor = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel_account", "name"], name="lease_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} lease on channel {self.channel_account_id}"
