"""A web chat channel's settings, read and checked in one place.

Operators set them with ``unidesk channel add webchat --set name=value`` or in the
administration (the channel's settings); ``docs/webchat.md`` lists them. ``parse`` is
lenient (a damaged value falls back to its default, so a widget never breaks on a typo)
and ``problems`` names what is wrong, so the places that save settings can refuse them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

LANGUAGES = ("en", "ru")
PRECHAT_MODES = ("off", "optional", "required")
POSITIONS = ("right", "left")
DEFAULT_COLOR = "#2563eb"
DEFAULT_PICKUP_MINUTES = 3
DEFAULT_UPLOAD_MB = 10
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAMESPACE = re.compile(r"^[\w.-]{1,64}$")
TEXT_NAMES = ("title", "greeting")

SETTING_NAMES = frozenset(
    {
        "color",
        "position",
        "prechat",
        "identity_required",
        "identity_namespace",
        "allowed_origins",
        "pickup_minutes",
        "uploads",
        "max_upload_mb",
        *(f"{text}_{lang}" for text in TEXT_NAMES for lang in LANGUAGES),
    }
)
DEFAULTS = {
    "color": DEFAULT_COLOR,
    "position": "right",
    "prechat": "off",
    "pickup_minutes": str(DEFAULT_PICKUP_MINUTES),
    "uploads": "on",
}


@dataclass(frozen=True)
class WidgetConfig:
    key: str
    color: str = DEFAULT_COLOR
    position: str = "right"
    prechat: str = "off"
    identity_required: bool = False
    identity_namespace: str = ""
    allowed_origins: tuple[str, ...] = ()
    pickup_minutes: int = DEFAULT_PICKUP_MINUTES
    uploads: bool = True
    max_upload_bytes: int = DEFAULT_UPLOAD_MB * 1024 * 1024
    texts: Mapping[str, str] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        """Whose user ids signed identities carry: the channel's own unless several
        widgets of one site share their users (``identity_namespace``)."""
        return self.identity_namespace or self.key

    def text(self, name: str, language: str) -> str:
        """The operator's text for ``language``, else the other language's, else ''."""
        own = self.texts.get(f"{name}_{language}", "")
        if own:
            return own
        return next((self.texts[f"{name}_{lang}"] for lang in LANGUAGES
                     if self.texts.get(f"{name}_{lang}")), "")  # fmt: skip

    def origin_allowed(self, origin: str) -> bool:
        """Whether a page at ``origin`` may use this widget. Without a list every origin
        may (the key is public, as a widget's key must be); with one, only those listed,
        ``https://*.example.com`` matching subdomains."""
        if not self.allowed_origins:
            return True
        origin = origin.strip().lower().rstrip("/")
        if origin in ("", "null"):
            return False
        own = settings.BASE_URL.lower().rstrip("/")
        return origin == own or any(_origin_matches(origin, p) for p in self.allowed_origins)


def _origin_matches(origin: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if "*." not in pattern:
        return origin == pattern
    scheme, _sep, host_pattern = pattern.partition("://*.")
    parts = urlsplit(origin)
    if parts.scheme != scheme or not parts.netloc:
        return False
    return parts.netloc.endswith("." + host_pattern)


def _flag(value: Any, default: bool) -> bool:
    text = str(value).strip().lower()
    if text in ("on", "yes", "true", "1"):
        return True
    if text in ("off", "no", "false", "0"):
        return False
    return default


def _int(value: Any, default: int, *, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        return default
    return number if low <= number <= high else default


def _origins(value: Any) -> tuple[str, ...]:
    items = re.split(r"[\s,]+", str(value or "").strip().lower())
    return tuple(item.rstrip("/") for item in items if item)


def parse(key: str, values: Mapping[str, Any]) -> WidgetConfig:
    color = str(values.get("color", DEFAULT_COLOR)).strip()
    max_mb = settings.MAX_ATTACHMENT_BYTES // (1024 * 1024) or 1
    upload_mb = min(DEFAULT_UPLOAD_MB, max_mb)
    pickup = values.get("pickup_minutes", DEFAULT_PICKUP_MINUTES)
    return WidgetConfig(
        key=key,
        color=color if _COLOR.match(color) else DEFAULT_COLOR,
        position=_choice(values.get("position"), POSITIONS),
        prechat=_choice(values.get("prechat"), PRECHAT_MODES),
        identity_required=_flag(values.get("identity_required", "off"), False),
        identity_namespace=str(values.get("identity_namespace", "")).strip()[:64],
        allowed_origins=_origins(values.get("allowed_origins")),
        pickup_minutes=_int(pickup, DEFAULT_PICKUP_MINUTES, low=0, high=24 * 60),
        uploads=_flag(values.get("uploads", "on"), True),
        max_upload_bytes=_int(values.get("max_upload_mb", upload_mb), upload_mb, low=1, high=max_mb)
        * 1024
        * 1024,
        texts={
            f"{text}_{lang}": str(values.get(f"{text}_{lang}", "")).strip()[:500]
            for text in TEXT_NAMES
            for lang in LANGUAGES
        },
    )


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    text = str(value or "").strip().lower()
    return text if text in choices else choices[0]


def problems(values: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with ``values`` (setting name → reason), for refusing them."""
    found: dict[str, str] = {}
    if "color" in values and not _COLOR.match(str(values["color"]).strip()):
        found["color"] = _("a colour is written #RRGGBB, for example #2563eb")
    for name, choices in (("position", POSITIONS), ("prechat", PRECHAT_MODES)):
        if name in values and str(values[name]).strip().lower() not in choices:
            found[name] = _("one of %(choices)s") % {"choices": ", ".join(choices)}
    for name in ("identity_required", "uploads"):
        if name in values and str(values[name]).strip().lower() not in (
            "on", "off", "yes", "no", "true", "false", "1", "0",
        ):  # fmt: skip
            found[name] = _("on or off")
    if "pickup_minutes" in values:
        number = _int(values["pickup_minutes"], -1, low=0, high=24 * 60)
        if number < 0:
            found["pickup_minutes"] = _("minutes from 0 (never) to 1440")
    if "max_upload_mb" in values:
        max_mb = settings.MAX_ATTACHMENT_BYTES // (1024 * 1024) or 1
        if _int(values["max_upload_mb"], -1, low=1, high=max_mb) < 0:
            found["max_upload_mb"] = _("megabytes from 1 to %(max)s") % {"max": max_mb}
    namespace = str(values.get("identity_namespace", "")).strip()
    if namespace and not _NAMESPACE.match(namespace):
        found["identity_namespace"] = _("letters, digits, dots, hyphens; up to 64")
    for origin in _origins(values.get("allowed_origins")):
        if origin == "*":
            continue
        parts = urlsplit(origin.replace("*.", "x.", 1))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            found["allowed_origins"] = _(
                "origins are written scheme://host[:port], for example https://shop.example"
            )
    return found
