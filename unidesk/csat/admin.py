"""Survey settings per channel, and the surveys themselves (read-only), for administrators."""

from __future__ import annotations

from django.contrib import admin

from unidesk.csat.models import CsatPolicy, Survey


@admin.register(CsatPolicy)
class CsatPolicyAdmin(admin.ModelAdmin[CsatPolicy]):
    list_display = ("channel_account", "enabled", "scale", "ask_comment", "email_delay_minutes")
    list_filter = ("enabled", "scale")
    fields = (
        "channel_account",
        "enabled",
        "scale",
        "ask_comment",
        "question_en",
        "question_ru",
        "email_delay_minutes",
        "cooldown_hours",
        "link_valid_days",
    )


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin[Survey]):
    list_display = ("ticket", "state", "channel", "agent", "group", "rating", "score", "rated_at")
    list_filter = ("state", "score", "channel")
    list_select_related = ("ticket", "agent", "group")
    readonly_fields = [field.name for field in Survey._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
