"""What the reports are computed from: one row of measurements per ticket.

The row is written by subscribers when something happens to the ticket (created, answered,
solved, reopened, moved to another group), from the timestamps the ticket itself stores, so a
report page only aggregates this table and never replays the message history. Durations are
stored twice: in calendar seconds and in business seconds of the ticket's group (its working
hours and holidays) as they were when the duration was measured.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketMetrics(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="metrics"
    )
    # Copies of the ticket's slices, so a report reads one table.
    group = models.ForeignKey(
        "accounts.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The ticket's assignee; for an unassigned ticket, the agent who replied last."),
    )
    channel = models.CharField(max_length=16, blank=True)
    priority = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(max_length=16)

    created_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The latest solve; cleared while a reopened ticket is unsolved.
    solved_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Agents' replies to the customer sent before the latest solve (notes and automatic
    # messages do not count).
    replies_to_solve = models.PositiveIntegerField(null=True, blank=True)
    agent_replies = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket metrics")
        verbose_name_plural = _("ticket metrics")
        # The period's rows of a group are read from the index alone (on SQLite too,
        # which has no INCLUDE): the columns the summary ranks and counts ride along.
        indexes = [
            models.Index(fields=["created_at"], name="metrics_created"),
            models.Index(fields=["group", "created_at"], name="metrics_group_created"),
            models.Index(
                fields=[
                    "solved_at", "resolution_seconds", "resolution_business_seconds",
                    "replies_to_solve", "reopen_count",
                ],
                name="metrics_solved",
            ),
            models.Index(
                fields=[
                    "group", "solved_at", "resolution_seconds", "resolution_business_seconds",
                    "replies_to_solve", "reopen_count",
                ],
                name="metrics_group_solved",
            ),
            models.Index(fields=["agent", "solved_at"], name="metrics_agent_solved"),
            models.Index(
                fields=[
                    "first_response_at", "first_response_seconds",
                    "first_response_business_seconds",
                ],
                name="metrics_first_response",
            ),
            models.Index(
                fields=[
                    "group", "first_response_at", "first_response_seconds",
                    "first_response_business_seconds",
                ],
                name="metrics_group_first_response",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"metrics of ticket {self.ticket_id}"
