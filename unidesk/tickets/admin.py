"""Tickets in the administration are for looking things up (and deleting on request);
agents change them in the workspace, where every change is logged."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from unidesk.tickets.models import Activity, Message, Tag, Ticket


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "direction", "author_name", "text", "delivery_status"]


class ActivityInline(ReadOnlyInline):
    model = Activity
    fields = ["created_at", "actor_name", "field", "old_value", "new_value"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """View-only (no change permission), so every field below shows read-only."""

    list_display = [
        "number", "subject", "status", "priority", "group", "assignee", "requester", "channel",
        "is_public", "updated_at",
    ]  # fmt: skip
    list_filter = ["status", "priority", "channel", "group", "is_public"]
    list_select_related = ["group", "assignee", "requester"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    fields = [
        "number", "subject", "status", "priority", "group", "assignee", "requester", "channel",
        "channel_account", "is_public", "tags", "created_at", "updated_at", "first_response_at",
        "solved_at", "closed_at", "agent_reply_count", "reopen_count",
    ]  # fmt: skip
    inlines = [MessageInline, ActivityInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        """``1234`` or ``#1234`` finds the ticket with that number; other text the subject."""
        number = search_term.strip().lstrip("#")
        if number.isdigit():
            return queryset.filter(number=int(number)), False
        return super().get_search_results(request, queryset, search_term)


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "color"]

    def clean_name(self) -> str:
        # Tags are matched in lower case everywhere (see tickets.services.tags_by_name).
        return str(self.cleaned_data["name"]).strip().lower()


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagForm
    list_display = ["name", "color", "ticket_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(ticket_total=Count("tickets"))

    @admin.display(description=_("tickets"), ordering="ticket_total")
    def ticket_count(self, tag: Any) -> int:
        return int(tag.ticket_total)
