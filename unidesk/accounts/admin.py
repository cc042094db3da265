"""Administration of agents, groups and API tokens (administrators only: see
``Agent.is_staff``)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group as AuthGroup
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from unidesk.accounts.models import Agent, ApiToken, Group, Membership
from unidesk.accounts.services import token_revoke
from unidesk.core.errors import NotFound

# Our own Group model replaces Django's permission groups, which unidesk does not use.
if admin.site.is_registered(AuthGroup):
    admin.site.unregister(AuthGroup)

admin.site.site_header = _("unidesk administration")
admin.site.site_title = _("unidesk administration")
admin.site.index_title = _("Settings")
admin.site.site_url = "/"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["group", "joined_at"]
    readonly_fields = ["joined_at"]
    verbose_name = _("group membership")
    verbose_name_plural = _("group memberships")


class MemberInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["agent", "joined_at"]
    readonly_fields = ["joined_at"]
    verbose_name = _("member")
    verbose_name_plural = _("members")


class AgentForm(forms.ModelForm):
    """Agent details, with a password that is set (hashed) only when one is typed."""

    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("As the browser asks")), *settings.LANGUAGES],
    )

    class Meta:
        model = Agent
        fields = ["email", "name", "role", "is_active", "language", "time_zone"]

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_time_zone(self) -> str:
        value = str(self.cleaned_data.get("time_zone") or "").strip()
        if value:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(
                    _("Unknown time zone; use a name such as Europe/Moscow.")
                ) from None
        return value

    def clean_new_password(self) -> str:
        password = str(self.cleaned_data.get("new_password") or "")
        if not password and self.instance.pk is None:
            raise forms.ValidationError(_("A new agent needs a password."))
        if password:
            password_validation.validate_password(password, self.instance)
        return password

    def save(self, commit: bool = True) -> Agent:
        agent: Agent = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            agent.set_password(self.cleaned_data["new_password"])
        if commit:
            agent.save()
            self.save_m2m()
        return agent


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ["email", "name", "role", "is_active", "group_names", "last_login"]
    list_filter = ["role", "is_active", "groups"]
    search_fields = ["email", "name"]
    ordering = ["name", "email"]
    inlines = [MembershipInline]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "name", "role", "is_active"]}),
        (_("Password"), {"fields": ["new_password"]}),
        (_("Preferences"), {"fields": ["language", "time_zone"]}),
        (_("History"), {"fields": ["date_joined", "last_login"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agent]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("groups"))
    def group_names(self, agent: Agent) -> str:
        return ", ".join(group.name for group in agent.groups.all())


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "first_reply_target_minutes", "member_count"]
    search_fields = ["name"]
    fields = ["name", "description", "first_reply_target_minutes", "is_default"]
    inlines = [MemberInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, group: Any) -> int:
        return int(group.member_total)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here; they are created with ``unidesk token create``,
    which shows the token once. Only a hash is stored, and it is never shown."""

    list_display = ["prefix_shown", "name", "agent", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "agent__email", "agent__name"]
    list_select_related = ["agent"]
    fields = ["prefix_shown", "name", "agent", "created_at", "last_used_at", "revoked_at"]
    # Without change permission every field shows read-only; the hash is never among them.
    readonly_fields = ["prefix_shown"]
    actions = ["revoke"]

    @admin.display(description=_("token"))
    def prefix_shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at=None).select_related("agent"):
            try:
                token_revoke(agent=token.agent, token_id=token.pk)
            except NotFound:
                continue
            revoked += 1
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )
