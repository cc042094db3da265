"""Merge suggestions and ticket links in the administration, read-only: they are made by
unidesk and by agents in the workspace, where every change is recorded."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from unidesk.crosschannel.models import MergeSuggestion, TicketLink


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "candidate", "kind", "written", "state", "decided_by"]
    list_filter = ["state", "kind"]
    list_select_related = ["customer", "candidate", "decided_by"]
    search_fields = ["value", "written"]
    fields = (
        "created_at", "customer", "candidate", "kind", "value", "written", "ticket", "state",
        "decided_at", "decided_by",
    )  # fmt: skip
    readonly_fields = fields


@admin.register(TicketLink)
class TicketLinkAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "source", "kind", "target", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["source", "target", "created_by"]
    fields = ("created_at", "source", "kind", "target", "created_by")
    readonly_fields = fields
