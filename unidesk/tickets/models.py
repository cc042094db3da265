"""Tickets, their messages and attachments, tags and the activity log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on-hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")

    @classmethod
    def from_name(cls, name: str) -> Priority:
        return cls[name.upper()]

    @property
    def key(self) -> str:
        return self.name.lower()


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    color = models.CharField(_("colour"), max_length=16, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One conversation with a customer, whatever channel it came through."""

    number = models.PositiveBigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    group = models.ForeignKey(
        "accounts.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("group"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    requester = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("requester"),
    )
    # The address the conversation runs through (an email, a chat…): replies go there,
    # whoever the ticket is assigned to.
    requester_identity = models.ForeignKey(
        "customers.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Which connected inbox the conversation runs through; replies leave through it.
    channel_account = models.ForeignKey(
        "unidesk_channels.ChannelAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    thread_key = models.CharField(max_length=255, blank=True)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("A public comment thread, not a private chat.")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last activity"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    agent_reply_count = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_activity"),
            models.Index(
                fields=["assignee", "status", "-updated_at", "-id"], name="ticket_assignee_activity"
            ),
            models.Index(
                fields=["group", "status", "-updated_at", "-id"], name="ticket_group_activity"
            ),
            models.Index(fields=["-updated_at", "-id"], name="ticket_activity"),
            models.Index(fields=["requester", "status"], name="ticket_requester_status"),
            models.Index(
                fields=["channel_account", "thread_key", "-created_at"], name="ticket_thread"
            ),
            models.Index(fields=["created_at"], name="ticket_created"),
            # The unassigned views and their counts: small, since most tickets have someone.
            models.Index(
                fields=["group", "status"],
                condition=models.Q(assignee__isnull=True),
                name="ticket_unassigned",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.number}"

    @property
    def priority_key(self) -> str:
        return Priority(self.priority).key

    @property
    def is_unsolved(self) -> bool:
        return self.status in UNSOLVED_STATUSES


class ParticipantRole(models.TextChoices):
    CC = "cc", _("Copy")
    BCC = "bcc", _("Blind copy")


class TicketParticipant(models.Model):
    """Someone besides the requester who receives the replies (email CC / BCC)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    identity = models.ForeignKey("customers.Identity", on_delete=models.CASCADE)
    role = models.CharField(max_length=8, choices=ParticipantRole.choices)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "identity", "role"], name="participant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.identity_id} on ticket {self.ticket_id}"


class Direction(models.TextChoices):
    IN = "in", _("From the customer")
    OUT = "out", _("To the customer")
    NOTE = "note", _("Internal note")
    SYSTEM = "system", _("System event")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Origin(models.TextChoices):
    CHANNEL = "channel", _("Channel")
    AGENT = "agent", _("Agent")
    AUTO_REPLY = "auto_reply", _("Auto-reply")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class MessageQuerySet(models.QuerySet["Message"]):
    def with_external_id(self, channel_account_id: int, *external_ids: str) -> MessageQuerySet:
        """Messages of one inbox by the platform's ids, through the idempotency index.

        The index is partial (ids are unique only where one is set); SQLite uses a partial
        index only when the query repeats its condition, and without it scans every
        message of the inbox — so the condition is spelled out here."""
        ids = [external_id[:255] for external_id in external_ids]
        found = self.filter(channel_account_id=channel_account_id).exclude(external_id="")
        if len(ids) == 1:
            return found.filter(external_id=ids[0])
        return found.filter(external_id__in=ids)


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.CHANNEL)
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)
    channel_account = models.ForeignKey(
        "unidesk_channels.ChannelAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    external_id = models.CharField(max_length=255, blank=True)
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Idempotency: one stored message per platform message id and inbox.
            models.UniqueConstraint(
                fields=["channel_account", "external_id"],
                condition=~models.Q(external_id=""),
                name="message_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="message_timeline")]

    def __str__(self) -> str:
        return f"{self.direction} message {self.pk} on ticket {self.ticket_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    """A stored file, or (``error`` set, no file) the record of a file that was not kept."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=300, blank=True)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=127, default="application/octet-stream")
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_kept(self) -> bool:
        return not self.error


class Activity(models.Model):
    """One change to a ticket: who changed what from what to what, and when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="activities")
    actor_kind = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    field = models.CharField(max_length=32)
    old_value = models.CharField(max_length=300, blank=True)
    new_value = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="activity_timeline")]
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} -> {self.new_value}"
