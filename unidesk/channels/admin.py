"""Administration of connected channels and the outbox.

Channels are connected with ``unidesk channel add`` (which shows the inbound secret once);
here their name, group, settings and state are edited. Secrets are write-only: the page
shows them masked, and a new value replaces the stored one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from unidesk.channels import demo_delivery, outbox, registry
from unidesk.channels.models import (
    ChannelAccount,
    ChannelKind,
    ChannelLease,
    Delivery,
    DeliveryState,
    InboundRecord,
    InboundState,
)
from unidesk.channels.selectors import forget_channel
from unidesk.channels.services import COMMON_SETTINGS, channel_update_settings
from unidesk.channels.webhooks import inbound_retry
from unidesk.core import crypto
from unidesk.core.errors import NotFound

# The inbound endpoint of each kind under /api/v1/channels/<kind>/<key>/ (DESIGN.md).
_INBOUND_PATHS = {"api": "messages", "email": "raw"}


def _known_names(kind: str) -> tuple[frozenset[str], frozenset[str]]:
    """(plain setting names, secret setting names) of a channel kind."""
    try:
        adapter = registry.adapter_class(kind)
    except NotFound:
        return frozenset(), frozenset({"secret"})
    return adapter.settings_names | COMMON_SETTINGS, adapter.secret_settings | {"secret"}


class ChannelAccountForm(forms.ModelForm):
    new_secrets = forms.CharField(
        label=_("Replace secrets"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "One name=value per line, for example bot_token=…; only the names given change. "
            "Leave empty to keep the stored secrets."
        ),
    )

    class Meta:
        model = ChannelAccount
        fields = ["name", "group", "settings", "is_active"]

    def clean_settings(self) -> dict[str, Any]:
        value = self.cleaned_data.get("settings") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Settings are a JSON object: {"name": "value"}.'))
        plain, secret = _known_names(self.instance.kind)
        if demo_delivery.SETTING in (self.instance.settings or {}):
            # A demo channel may keep (or drop) its demo delivery; no channel gains one.
            plain = plain | {demo_delivery.SETTING}
        misplaced = sorted(set(value) & secret)
        if misplaced:
            raise forms.ValidationError(
                _("%(names)s are secrets; enter them under “Replace secrets”.")
                % {"names": ", ".join(misplaced)}
            )
        unknown = sorted(set(value) - plain)
        if unknown:
            raise forms.ValidationError(
                _("Unknown settings %(names)s; known: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(sorted(plain)) or "—"}
            )
        try:
            problems = registry.adapter_class(self.instance.kind).settings_problems(value)
        except NotFound:
            problems = {}
        if problems:
            raise forms.ValidationError(
                "; ".join(f"{name}: {reason}" for name, reason in sorted(problems.items()))
            )
        return value

    def clean_new_secrets(self) -> dict[str, str]:
        _plain, secret = _known_names(self.instance.kind)
        parsed: dict[str, str] = {}
        for line in str(self.cleaned_data.get("new_secrets") or "").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            name = name.strip()
            if not sep or not value.strip():
                raise forms.ValidationError(_("Write each secret as name=value."))
            if name not in secret:
                raise forms.ValidationError(
                    _("Unknown secret %(name)s; known: %(known)s.")
                    % {"name": name, "known": ", ".join(sorted(secret))}
                )
            parsed[name] = value.strip()
        return parsed


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = ["name", "kind", "key", "group", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["group"]
    search_fields = ["name", "key"]
    fields = [
        "kind", "name", "key", "inbound_address", "group", "settings", "is_active",
        "masked_secrets", "new_secrets", "embedding", "created_at",
    ]  # fmt: skip
    readonly_fields = [
        "kind",
        "key",
        "inbound_address",
        "masked_secrets",
        "embedding",
        "created_at",
    ]

    @admin.display(description=_("on your site"))
    def embedding(self, account: ChannelAccount) -> str:
        """For a web chat: the tag to put on the site, and a page to try it."""
        if account.kind != ChannelKind.WEBCHAT or not account.pk:
            return "—"
        return format_html(
            '<code>&lt;script src="{}" data-channel="{}" async&gt;&lt;/script&gt;</code>'
            '<br><a href="{}" target="_blank">{}</a>',
            settings.BASE_URL + reverse("webchat:widget-js"),
            account.key,
            reverse("webchat:try", kwargs={"key": account.key}),
            _("Try the chat"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Connecting needs the secret shown once: `unidesk channel add`.
        return False

    @admin.display(description=_("address to give the platform"))
    def inbound_address(self, account: ChannelAccount) -> str:
        """Where the platform (or the outside system) sends this channel's messages: the
        address to paste into its settings. It holds the public key, never a secret."""
        path = _INBOUND_PATHS.get(account.kind, "webhook")
        return f"{settings.BASE_URL}/api/v1/channels/{account.kind}/{account.key}/{path}"

    @admin.display(description=_("stored secrets"))
    def masked_secrets(self, account: ChannelAccount) -> str:
        try:
            values = account.secrets
        except ValueError:
            return str(_("The stored secrets cannot be decrypted (was the secret key changed?)."))
        if not values:
            return "—"
        return ", ".join(
            f"{name}: {crypto.mask(str(value))}" for name, value in sorted(values.items())
        )

    def save_model(
        self, request: HttpRequest, obj: ChannelAccount, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        new_secrets = form.cleaned_data.get("new_secrets") or {}
        if new_secrets:
            channel_update_settings(account=obj, settings=new_secrets)
        forget_channel(obj)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent, what is waiting, and why something failed."""

    list_display = [
        "message_id", "ticket_number", "channel_account", "state", "attempts", "next_attempt_at",
        "last_error", "updated_at",
    ]  # fmt: skip
    list_filter = ["state", "channel_account"]
    list_select_related = ["channel_account", "message__ticket"]
    search_fields = ["last_error"]
    fields = [
        "message", "channel_account", "state", "attempts", "next_attempt_at", "lease_until",
        "last_error", "created_at", "updated_at", "sent_at",
    ]  # fmt: skip
    actions = ["retry"]

    @admin.display(description=_("ticket"))
    def ticket_number(self, delivery: Delivery) -> str:
        return f"#{delivery.message.ticket.number}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed deliveries again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        failed = list(queryset.filter(state=DeliveryState.FAILED).select_related("message"))
        for delivery in failed:
            outbox.retry_failed(delivery)
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", len(failed))
            % {"n": len(failed)},
            messages.SUCCESS,
        )


@admin.register(InboundRecord)
class InboundRecordAdmin(admin.ModelAdmin):
    """Received webhooks, read-only: what arrived, and why one was not understood."""

    list_display = [
        "delivery_id", "channel_account", "state", "attempts", "error", "received_at",
        "processed_at",
    ]  # fmt: skip
    list_filter = ["state", "channel_account"]
    list_select_related = ["channel_account"]
    search_fields = ["delivery_id", "error"]
    fields = (
        "channel_account", "delivery_id", "state", "attempts", "next_attempt_at", "error",
        "received_at", "processed_at", "payload",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["process_again"]

    @admin.display(description=_("payload"))
    def payload(self, record: InboundRecord) -> str:
        return record.body_text[:20_000]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Process the selected webhooks again"))
    def process_again(self, request: HttpRequest, queryset: QuerySet[InboundRecord]) -> None:
        count = inbound_retry(
            queryset.filter(state__in=[InboundState.UNPARSEABLE, InboundState.FAILED])
        )
        messages.success(
            request,
            ngettext("%(n)s webhook queued again.", "%(n)s webhooks queued again.", count)
            % {"n": count},
        )


@admin.register(ChannelLease)
class ChannelLeaseAdmin(admin.ModelAdmin):
    """Which worker holds which channel's job (processing webhooks, polling a bot), and the
    last error of a poll."""

    list_display = ["channel_account", "name", "holder", "lease_until", "cursor", "last_error"]
    list_filter = ["name"]
    list_select_related = ["channel_account"]
    readonly_fields = [
        "channel_account", "name", "holder", "lease_until", "cursor", "last_error", "updated_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
