"""Administration of connected channels and the outbox.

Administrators connect a channel here (*Connect a channel*: pick the kind, fill in its
settings) through the same service as ``unidesk channel add``; the page after saving
shows the channel's inbound secret once. Afterwards its name, group, settings and state
are edited. Secrets are write-only: the page shows them masked, and a new value replaces
the stored one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from unidesk.channels import outbox, registry
from unidesk.channels.admin_forms import (
    ChannelAccountForm,
    ConnectChannelForm,
    adapter_or_none,
    field_names,
    kind_settings,
)
from unidesk.channels.base import ChannelAdapter
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
from unidesk.channels.services import channel_add, channel_connect, channel_update_settings
from unidesk.channels.webhooks import inbound_retry
from unidesk.core import crypto
from unidesk.core.errors import DomainError

# The inbound endpoint of each kind under /api/v1/channels/<kind>/<key>/ (DESIGN.md).
_INBOUND_PATHS = {"api": "messages", "email": "raw"}
# Where the page after connecting finds the new channel's secret: in the session,
# encrypted, and only until that page has been shown once.
_JUST_CONNECTED = "unidesk_channels.just_connected"


def inbound_url(account: ChannelAccount) -> str:
    """Where the platform (or the outside system) sends this channel's messages: the
    address to paste into its settings. It holds the public key, never a secret."""
    path_end = _INBOUND_PATHS.get(account.kind, "webhook")
    return f"{settings.BASE_URL}/api/v1/channels/{account.kind}/{account.key}/{path_end}"


def _takes_inbound(kind: str) -> bool:
    """Whether anything outside posts to this channel's inbound address (a web chat's
    visitors come through the widget instead)."""
    adapter = adapter_or_none(kind)
    return adapter is None or adapter.verify is not ChannelAdapter.verify


def _sets_itself_up(kind: str) -> bool:
    """Whether the platform side can be set up from here (Telegram's webhook, a mailbox's
    logins): the adapter has a ``connect`` of its own."""
    adapter = adapter_or_none(kind)
    return adapter is not None and adapter.connect is not ChannelAdapter.connect


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = ["name", "kind", "key", "group", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["group"]
    search_fields = ["name", "key"]
    readonly_fields = ["kind", "key", "inbound_address", "embedding", "created_at"]
    change_form_template = "admin/unidesk_channels/channelaccount/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/connected/",
                view(self.connected_view),
                name="{}_{}_connected".format(*info),
            ),
            path(
                "<int:object_id>/set-up/",
                view(require_POST(self.set_up_view)),
                name="{}_{}_set_up".format(*info),
            ),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["kind", "name", "key", "group", "is_active"]})]
        main = ["kind", "name", "key"]
        if _takes_inbound(obj.kind):
            main.append("inbound_address")
        if obj.kind == ChannelKind.WEBCHAT:
            main.append("embedding")
        main += ["group", "is_active", "created_at"]
        spec = kind_settings(obj.kind)
        plain, secret = field_names(spec)[: len(spec.plain)], field_names(spec)[len(spec.plain) :]
        fieldsets: list[Any] = [(None, {"fields": main})]
        if plain:
            fieldsets.append((_("Settings"), {"fields": plain}))
        fieldsets.append(
            (
                _("Secrets"),
                {
                    "fields": secret,
                    "description": _(
                        "Stored encrypted and never shown again in full. Leave a field empty "
                        "to keep the stored value; type a new value to replace it."
                    ),
                },
            )
        )
        if obj.settings and set(obj.settings) - spec.names:
            fieldsets.append((_("Other settings"), {"fields": ["other_settings"]}))
        return fieldsets

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # The settings fields are made per kind by the form itself, not by the model.
        kwargs["fields"] = ["name", "group", "is_active"]
        return super().get_form(request, obj, change, **kwargs)

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

    @admin.display(description=_("address to give the platform"))
    def inbound_address(self, account: ChannelAccount) -> str:
        return inbound_url(account) if _takes_inbound(account.kind) else "—"

    def save_model(
        self, request: HttpRequest, obj: ChannelAccount, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if isinstance(form, ChannelAccountForm) and adapter_or_none(obj.kind) is not None:
            values, unset = form.settings_changes()
            channel_update_settings(account=obj, settings=values, unset=unset)
        forget_channel(obj)

    # Settings forms carry tokens and passwords: keep every posted value out of error reports.
    @method_decorator(sensitive_post_parameters())
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        account = self.get_object(request, object_id)
        extra = {
            **(extra_context or {}),
            "can_set_up": bool(account and _sets_itself_up(account.kind)),
        }
        return super().change_view(request, object_id, form_url, extra)

    # --- connecting ----------------------------------------------------------------------

    @method_decorator(sensitive_post_parameters())
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Pick a kind, then fill in its settings; saving connects the channel through
        ``channel_add`` and leads to the page that shows its secret once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        kind = request.GET.get("kind", "")
        kinds = {
            value: label for value, label in ChannelKind.choices
            if value in registry.registered_kinds()
        }  # fmt: skip
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Connect a channel"),
        }
        if kind not in kinds:
            context["kinds"] = list(kinds.items())
            return TemplateResponse(
                request, "admin/unidesk_channels/channelaccount/connect_kind.html", context
            )
        form = ConnectChannelForm(kind, data=request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                connected = channel_add(
                    kind=kind,
                    name=form.cleaned_data["name"],
                    group=form.cleaned_data.get("group"),
                    settings=form.settings_values(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                account = connected.account
                self.log_addition(request, account, [{"added": {}}])
                request.session[_JUST_CONNECTED] = crypto.encrypt_json(
                    {"account": account.pk, "secret": connected.secret}
                )
                return HttpResponseRedirect(
                    reverse("admin:unidesk_channels_channelaccount_connected", args=[account.pk])
                )
        context.update(
            {
                "title": gettext("Connect a channel: %(kind)s") % {"kind": kinds[kind]},
                "kind": kind,
                "kind_label": kinds[kind],
                "form": form,
            }
        )
        return TemplateResponse(
            request, "admin/unidesk_channels/channelaccount/connect_form.html", context
        )

    def connected_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """What to paste into the platform, and the inbound secret: shown once, right after
        connecting; a later visit (or another channel's) no longer has it."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        account = get_object_or_404(ChannelAccount, pk=object_id)
        secret = ""
        stash = request.session.get(_JUST_CONNECTED)
        if stash:
            try:
                data = crypto.decrypt_json(stash)
            except ValueError:
                data = {}
            if data.get("account") == account.pk:
                secret = str(data.get("secret") or "")
                del request.session[_JUST_CONNECTED]
        adapter = adapter_or_none(account.kind)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Channel connected: %(name)s") % {"name": account.name},
            "account": account,
            "inbound_url": inbound_url(account) if _takes_inbound(account.kind) else "",
            "embedding": self.embedding(account) if account.kind == ChannelKind.WEBCHAT else "",
            "secret": secret if adapter is not None and adapter.inbound_secret_use else "",
            "secret_use": adapter.inbound_secret_use if adapter is not None else "",
            "can_set_up": _sets_itself_up(account.kind),
            "change_url": reverse(
                "admin:unidesk_channels_channelaccount_change", args=[account.pk]
            ),
        }
        return TemplateResponse(
            request, "admin/unidesk_channels/channelaccount/connected.html", context
        )

    def set_up_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """``unidesk channel connect`` from the administration: register Telegram's webhook
        (or switch it off for polling), check a mailbox's logins."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        account = get_object_or_404(ChannelAccount, pk=object_id)
        try:
            done = channel_connect(account=account)
        except DomainError as exc:
            messages.error(
                request, gettext("The platform refused: %(reason)s") % {"reason": exc.message}
            )
        else:
            messages.success(request, done)
        return HttpResponseRedirect(
            reverse("admin:unidesk_channels_channelaccount_change", args=[account.pk])
        )


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
