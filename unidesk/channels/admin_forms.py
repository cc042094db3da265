"""The forms of the channel administration: one labelled field per setting a kind knows.

Settings are named as in ``unidesk channel add KIND --set name=value`` and in
``docs/channels/``. Secret ones are password inputs that never show what is stored: on a
new channel an empty one stays unset, on an existing one an empty one keeps the stored
value and a typed one replaces it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from unidesk.accounts.models import Group
from unidesk.channels import registry
from unidesk.channels.base import ChannelAdapter
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import COMMON_SETTINGS, channel_name_taken
from unidesk.core import crypto
from unidesk.core.errors import NotFound

# Form fields of settings are prefixed so a setting can never shadow "name" or "group".
FIELD_PREFIX = "setting_"
# The channel's own inbound secret; ``channel_add`` generates it unless one is given.
INBOUND_SECRET = "secret"  # noqa: S105  (a setting's name, not a password)

# Shown first, in this order: what the platform hands out when the bot, app or page is
# made; then everything else alphabetically, and the rarely changed ones last.
_FIRST = (
    "address", "bot_token", "access_token", "page_access_token", "app_secret", "app_id",
    "verify_token", "secret_token", "phone_number_id", "page_id", "ig_account_id", "group_id",
    "secret", "confirmation", "callback_url", "mode",
)  # fmt: skip
_LAST = ("api_base", "api_version", "reopen_window_days")
_MULTILINE = frozenset(
    {"templates", "acknowledge_template_en", "acknowledge_template_ru", "greeting_en",
     "greeting_ru", "allowed_origins"}
)  # fmt: skip

# What a setting means, where one sentence helps; docs/channels/ has the whole story.
_HELP = {
    "address": _("The mailbox address customers write to."),
    "bot_token": _("The token @BotFather gave for the bot."),
    "secret_token": _(
        "What Telegram must send with every webhook; empty: the channel's own secret."
    ),
    "mode": _("webhook, polling or auto (webhook when the desk's address is https://)."),
    "poll_timeout": _("Seconds a long poll waits for news (0–25, default 1)."),
    "access_token": _("The access token the platform issued for this account."),
    "page_access_token": _("The Page access token with the messaging permissions."),
    "app_secret": _("The app secret from the developer dashboard: webhooks are signed with it."),
    "app_id": _("The app's ID from the developer dashboard."),
    "verify_token": _("Any string; type the same one into the platform's webhook settings."),
    "phone_number_id": _("The phone number ID from WhatsApp Manager (not the number itself)."),
    "page_id": _("The Facebook Page's ID."),
    "ig_account_id": _("The Instagram professional account's ID."),
    "group_id": _("The VK community's numeric ID."),
    "confirmation": _("The string VK shows in the Callback API settings to confirm the address."),
    "callback_url": _("Where unidesk posts agents' replies (signed with the channel secret)."),
    "api_base": _(
        "Another address for the platform's API (a proxy, a test server); empty: "
        "the platform's own."
    ),
    "api_version": _("The Graph API version to call; empty: the tested one."),
    "reopen_window_days": _(
        "A message to a solved ticket within this many days reopens it (default 7)."
    ),
}


@dataclass(frozen=True)
class KindSettings:
    """The setting names of one channel kind, in the order the forms show them."""

    plain: tuple[str, ...]
    secret: tuple[str, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.plain) | frozenset(self.secret)


def _ordered(names: Iterable[str]) -> tuple[str, ...]:
    def position(name: str) -> tuple[int, int, str]:
        if name in _FIRST:
            return (0, _FIRST.index(name), name)
        if name in _LAST:
            return (2, _LAST.index(name), name)
        return (1, 0, name)

    return tuple(sorted(names, key=position))


def adapter_or_none(kind: str) -> type[ChannelAdapter] | None:
    try:
        return registry.adapter_class(kind)
    except NotFound:
        return None


def _uses_inbound_secret(adapter: type[ChannelAdapter]) -> bool:
    return bool(adapter.inbound_secret_use) or INBOUND_SECRET in adapter.settings_names


def kind_settings(kind: str, *, connecting: bool = False) -> KindSettings:
    """The settings of ``kind``. A new channel is offered the inbound secret only where
    the kind uses it; an existing one may always replace it."""
    adapter = adapter_or_none(kind)
    if adapter is None:
        return KindSettings(plain=(), secret=(INBOUND_SECRET,))
    secret = set(adapter.secret_settings)
    if not connecting or _uses_inbound_secret(adapter):
        secret.add(INBOUND_SECRET)
    plain = (set(adapter.settings_names) | COMMON_SETTINGS) - secret - {INBOUND_SECRET}
    return KindSettings(plain=_ordered(plain), secret=_ordered(secret))


def field_name(setting: str) -> str:
    return FIELD_PREFIX + setting


def field_names(settings: KindSettings) -> list[str]:
    return [field_name(name) for name in (*settings.plain, *settings.secret)]


def _plain_field(name: str, initial: str = "", default: str = "") -> forms.CharField:
    # The placeholder shows what a channel gets when the field is left empty.
    attrs = {"spellcheck": "false", "placeholder": default}
    widget: forms.Widget = (
        forms.Textarea(attrs={**attrs, "rows": 3})
        if name in _MULTILINE
        else forms.TextInput(attrs={**attrs, "size": 60})
    )
    return forms.CharField(
        label=name, required=False, initial=initial, widget=widget, help_text=_HELP.get(name, "")
    )


def _secret_field(kind: str, name: str, note: str) -> forms.CharField:
    """A password input; ``note`` says what happens to it, after what the setting means."""
    meaning = _HELP.get(name, "")
    if name == INBOUND_SECRET:
        adapter = adapter_or_none(kind)
        meaning = adapter.inbound_secret_use if adapter is not None else ""
    help_text = " ".join(part for part in (str(meaning), note) if part)
    return forms.CharField(
        label=name,
        required=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "size": 60}
        ),
        help_text=help_text,
    )


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _defaults(kind: str) -> Mapping[str, str]:
    adapter = adapter_or_none(kind)
    return adapter.default_settings if adapter is not None else {}


def _problems(kind: str, values: Mapping[str, str]) -> dict[str, str]:
    adapter = adapter_or_none(kind)
    return adapter.settings_problems(values) if adapter is not None else {}


class _SettingsMixin:
    """Reads the per-setting fields back and checks them the way the service will."""

    kind: str
    settings_spec: KindSettings
    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    def typed(self, names: Iterable[str]) -> dict[str, str]:
        """The settings among ``names`` that were given a value."""
        values = {name: str(self.cleaned_data.get(field_name(name)) or "") for name in names}
        return {name: value for name, value in values.items() if value}

    def _check_settings(self, plain: Mapping[str, str]) -> None:
        for name, reason in sorted(_problems(self.kind, plain).items()):
            target = field_name(name)
            self.add_error(target if target in self.fields else None, f"{name}: {reason}")  # type: ignore[attr-defined]


class ConnectChannelForm(_SettingsMixin, forms.Form):
    """A new channel of one kind: its name, group and settings."""

    name = forms.CharField(label=_("name"), max_length=120)
    group = forms.ModelChoiceField(
        label=_("group for new conversations"),
        queryset=Group.objects.order_by("name"),
        required=False,
        help_text=_("Empty: the default group."),
    )

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.settings_spec = kind_settings(kind, connecting=True)
        defaults = _defaults(kind)
        for name in self.settings_spec.plain:
            self.fields[field_name(name)] = _plain_field(name, default=defaults.get(name, ""))
        for name in self.settings_spec.secret:
            help_text = (
                gettext("Empty: unidesk generates one and shows it once, after saving.")
                if name == INBOUND_SECRET
                else gettext("Stored encrypted and never shown again.")
            )
            self.fields[field_name(name)] = _secret_field(self.kind, name, help_text)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = str(cleaned.get("name") or "")
        if name and channel_name_taken(kind=self.kind, name=name):
            self.add_error("name", gettext("A channel of this kind already has this name."))
        self._check_settings(self.typed(self.settings_spec.plain))
        return cleaned

    def plain_fields(self) -> list[forms.BoundField]:
        return [self[field_name(name)] for name in self.settings_spec.plain]

    def secret_fields(self) -> list[forms.BoundField]:
        return [self[field_name(name)] for name in self.settings_spec.secret]

    def settings_values(self) -> dict[str, str]:
        """What goes to ``channel_add``: the settings that were given, secret or not."""
        return self.typed(self.settings_spec.plain + self.settings_spec.secret)


class ChannelAccountForm(_SettingsMixin, forms.ModelForm):
    """An existing channel: plain settings prefilled, secrets masked in the help text
    (empty keeps the stored one, a value replaces it). Settings stored under names this
    kind does not know (left by an older version) are edited as JSON."""

    other_settings = forms.JSONField(
        label=_("other settings (JSON)"),
        required=False,
        help_text=_(
            "Stored settings this kind of channel does not know; remove them or change their "
            "values. Secrets and known settings have fields of their own."
        ),
    )

    class Meta:
        model = ChannelAccount
        fields = ["name", "group", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = self.instance.kind
        self.settings_spec = kind_settings(self.kind)
        stored = dict(self.instance.settings or {})
        defaults = _defaults(self.kind)
        for name in self.settings_spec.plain:
            self.fields[field_name(name)] = _plain_field(
                name, _as_text(stored.get(name)), defaults.get(name, "")
            )
        try:
            secrets = self.instance.secrets if self.instance.pk else {}
        except ValueError:
            secrets = {}
        for name in self.settings_spec.secret:
            value = str(secrets.get(name) or "")
            help_text = (
                gettext("Stored: %(masked)s. Leave empty to keep it; type a new one to replace it.")
                % {"masked": crypto.mask(value)}
                if value
                else gettext("Not set. Type a value to set it.")
            )
            self.fields[field_name(name)] = _secret_field(self.kind, name, help_text)
        self.unknown_stored = {k: v for k, v in stored.items() if k not in self.settings_spec.names}
        if self.unknown_stored:
            self.fields["other_settings"].initial = self.unknown_stored
        else:
            del self.fields["other_settings"]

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "")
        if channel_name_taken(kind=self.kind, name=name, exclude=self.instance):
            raise forms.ValidationError(gettext("A channel of this kind already has this name."))
        return name

    def clean_other_settings(self) -> dict[str, Any]:
        value = self.cleaned_data.get("other_settings") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(gettext('Settings are a JSON object: {"name": "value"}.'))
        misplaced = sorted(set(value) & set(self.settings_spec.secret))
        if misplaced:
            raise forms.ValidationError(
                gettext("%(names)s are secrets; enter them in their own fields.")
                % {"names": ", ".join(misplaced)}
            )
        known = sorted(set(value) & set(self.settings_spec.plain))
        if known:
            raise forms.ValidationError(
                gettext("%(names)s have fields of their own above; enter them there.")
                % {"names": ", ".join(known)}
            )
        unknown = sorted(set(value) - set(self.unknown_stored))
        if unknown:
            raise forms.ValidationError(
                gettext("Unknown settings %(names)s; known: %(known)s.")
                % {
                    "names": ", ".join(unknown),
                    "known": ", ".join(self.settings_spec.plain) or "—",
                }
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_settings(self.typed(self.settings_spec.plain))
        return cleaned

    def settings_changes(self) -> tuple[dict[str, str], list[str]]:
        """(settings to store, plain settings to remove): plain fields left empty go back
        to their defaults, secret fields left empty keep what is stored."""
        values: dict[str, Any] = self.typed(self.settings_spec.plain)
        values.update(self.typed(self.settings_spec.secret))
        unset = [name for name in self.settings_spec.plain if name not in values]
        if "other_settings" in self.fields:
            others = self.cleaned_data.get("other_settings") or {}
            values.update(others)
            unset += [name for name in self.unknown_stored if name not in others]
        return values, unset
