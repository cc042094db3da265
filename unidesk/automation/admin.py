"""Administration of what the desk says by itself: auto-reply texts per group, and the
greeting bots of channels with the answers they know."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from unidesk.automation.models import AutoReplyPolicy, BotAnswer, BotConversation, ChatBot


@admin.register(AutoReplyPolicy)
class AutoReplyPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "out_of_hours"]
    list_select_related = ["group"]
    fieldsets = [
        (None, {"fields": ["group"]}),
        (
            _("Outside business hours"),
            {"fields": ["out_of_hours", "out_of_hours_en", "out_of_hours_ru"]},
        ),
        (
            _("Live chat: nobody free yet"),
            {
                "fields": ["pickup_en", "pickup_ru"],
                "description": _(
                    "How long a chat waits is set per web chat channel (pickup_minutes)."
                ),
            },
        ),
    ]


class BotAnswerInline(admin.StackedInline):
    model = BotAnswer
    extra = 1
    fields = [
        ("question_en", "question_ru"), "keywords", ("answer_en", "answer_ru"),
        ("as_button", "position"),
    ]  # fmt: skip


@admin.register(ChatBot)
class ChatBotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "channel", "enabled", "answer_count"]
    list_filter = ["enabled"]
    list_select_related = ["channel"]
    fields = ["channel", "enabled", "name", "intro_en", "intro_ru"]
    inlines = [BotAnswerInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChatBot]:
        return super().get_queryset(request).prefetch_related("answers")

    @admin.display(description=_("answers"))
    def answer_count(self, bot: ChatBot) -> int:
        return len(bot.answers.all())


@admin.register(BotConversation)
class BotConversationAdmin(admin.ModelAdmin):
    """What the bots did, read-only."""

    list_display = ["ticket", "bot", "state", "answers_given", "handover_reason", "started_at"]
    list_filter = ["state", "handover_reason"]
    list_select_related = ["ticket", "bot__channel"]
    readonly_fields = [
        "ticket", "bot", "state", "handled_until", "answers_given", "handover_reason",
        "started_at", "handed_over_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
