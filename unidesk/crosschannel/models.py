"""What ties conversations and customers together across channels: suggestions to merge
two customers who turn out to be one person, and links between tickets (related, or one
closed as a duplicate of another)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DISMISSED = "dismissed", _("Dismissed")
    MERGED = "merged", _("Merged")


class MergeSuggestion(models.Model):
    """``customer`` wrote a phone number or an address (``kind``, ``value``) that belongs
    to ``candidate``: they may be one person. Only ever a suggestion — an agent merges or
    dismisses it. One per pair of customers, so a dismissed pair stays dismissed."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="merge_suggestions"
    )
    candidate = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    value = models.CharField(max_length=320)
    # As the customer wrote it ("8 (912) 345-67-89"), to show where it comes from.
    written = models.CharField(max_length=320, blank=True)
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=SuggestionState.choices, default=SuggestionState.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "candidate"], name="suggestion_pair"),
            models.CheckConstraint(
                condition=~models.Q(customer=models.F("candidate")), name="suggestion_two_people"
            ),
        ]
        indexes = [models.Index(fields=["candidate", "state"], name="suggestion_candidate")]
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")

    def __str__(self) -> str:
        return f"customer {self.customer_id} may be {self.candidate_id} ({self.kind})"


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    DUPLICATE = "duplicate", _("Duplicate")


class TicketLink(models.Model):
    """A link between two tickets. ``duplicate``: ``source`` was closed as a duplicate of
    ``target``. ``related`` has no direction; it is stored with the lower id as
    ``source``. Two tickets have at most one link (see ``crosschannel.services``)."""

    source = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="ticket_link_pair"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_two_tickets"
            ),
        ]
        indexes = [models.Index(fields=["target"], name="ticket_link_target")]
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")

    def __str__(self) -> str:
        return f"{self.kind}: ticket {self.source_id} → {self.target_id}"
