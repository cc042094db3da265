"""HTTP for the widget: the script itself, its settings and texts, file uploads, and the
links to files in a conversation.

These are called from customers' sites, so they answer cross-origin requests from the
origins the channel allows (CORS), and never rely on cookies: uploads carry the visitor's
token like the websocket does.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from unidesk.accounts.availability import answer_promise, describe_promise
from unidesk.channels.base import as_int
from unidesk.channels.models import ChannelAccount
from unidesk.channels.webchat import config as widget_config
from unidesk.channels.webchat import selectors, services
from unidesk.core.errors import DomainError, NotFound
from unidesk.core.http import file_response
from unidesk.core.inputs import loads_untrusted
from unidesk.core.ratelimit import RateLimited

WIDGET_PATH = Path(__file__).parent / "static" / "webchat" / "widget.js"
CONFIG_CACHE_SECONDS = 30


@lru_cache(maxsize=1)
def _widget_files(mtime: float) -> tuple[bytes, bytes, str]:
    """The script, gzipped once, and its ETag (per file version)."""
    raw = WIDGET_PATH.read_bytes()
    return raw, gzip.compress(raw, 9, mtime=0), hashlib.sha256(raw).hexdigest()[:20]


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    raw, packed, etag = _widget_files(WIDGET_PATH.stat().st_mtime)
    quoted = f'"{etag}"'
    if request.headers.get("If-None-Match") == quoted:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(packed, content_type="application/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(raw, content_type="application/javascript; charset=utf-8")
    response["ETag"] = quoted
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _cors(response: HttpResponse, request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    conf = widget_config.parse(account.key, account.settings)
    if origin and conf.origin_allowed(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _error(code: str, message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def _channel(key: str) -> ChannelAccount | None:
    try:
        return selectors.channel_for_widget(key)
    except NotFound:
        return None


def _refused_origin(request: HttpRequest, account: ChannelAccount) -> bool:
    origin = request.headers.get("Origin", "")
    conf = widget_config.parse(account.key, account.settings)
    return bool(origin) and not conf.origin_allowed(origin)


@require_GET
def widget_config_view(request: HttpRequest, key: str) -> HttpResponse:
    """The channel's look, texts and state for the widget, in the page's language."""
    account = _channel(key)
    if account is None:
        return _error("not_found", "No such chat.", 404)
    if _refused_origin(request, account):
        return _error("origin_refused", "This site may not use this chat.", 403)
    language = services.language_of(request.GET.get("lang"))
    # Keyed by the settings themselves, so a change shows at once in every process.
    version = hashlib.sha256(
        json.dumps([account.settings, account.group_id], sort_keys=True).encode()
    ).hexdigest()[:16]
    cache_key = f"webchat:config:{account.pk}:{language}:{version}"
    body = cache.get(cache_key)
    if body is None:
        with translation.override(language):
            body = json.dumps(_config_body(account, language), ensure_ascii=False)
        cache.set(cache_key, body, CONFIG_CACHE_SECONDS)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = f"public, max-age={CONFIG_CACHE_SECONDS}"
    return _cors(response, request, account)


def _config_body(account: ChannelAccount, language: str) -> dict[str, Any]:
    conf = widget_config.parse(account.key, account.settings)
    promise = answer_promise(account.group)
    status = _("We are online.") if promise.open_now else describe_promise(promise)
    return {
        "language": language,
        "color": conf.color,
        "position": conf.position,
        "prechat": conf.prechat,
        "uploads": conf.uploads,
        "max_upload_bytes": conf.max_upload_bytes,
        "max_text": services.MAX_TEXT,
        "online": promise.open_now,
        "texts": {
            "title": conf.text("title", language) or _("Chat with us"),
            "greeting": conf.text("greeting", language)
            or _("Hello! Ask us anything, we are here to help."),
            "status": status,
            **widget_texts(),
        },
    }


def widget_texts() -> dict[str, str]:
    """Everything the widget says, in the active language ({name} and the like are
    filled in by the widget)."""
    return {
        "open": _("Open the chat"),
        "close": _("Close the chat"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "connecting": _("Connecting…"),
        "offline": _("No connection. What you write is sent when it is back."),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "read": _("Read"),
        "retrying": _("Not sent yet, trying again…"),
        "typing": _("{name} is typing…"),
        "someone": _("Support"),
        "you": _("You"),
        "bot": _("Bot"),
        "auto": _("Automatic reply"),
        "unread": _("New messages: {n}"),
        "prechat_title": _("Before we start"),
        "name": _("Your name"),
        "email": _("Email"),
        "start": _("Start the chat"),
        "skip": _("Skip"),
        "code_prompt": _(
            "We sent a code to {email}. Enter it to join this chat to your earlier "
            "conversations with us."
        ),
        "code": _("Code"),
        "confirm": _("Confirm"),
        "resend": _("Send a new code"),
        "verified": _("Email confirmed."),
        "leave_email": _("Leave your email and we will answer there."),
        "email_left": _("Thank you, we will answer at {email}."),
        "file_too_large": _("The file is larger than {mb} MB."),
        "uploading": _("Uploading {name}…"),
        "error": _("Something went wrong. Please try again."),
        "refused": _("This chat is not available on this page."),
        "powered": _("Chat by unidesk"),
    }


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def upload(request: HttpRequest, key: str) -> HttpResponse:
    """A file from the visitor: ``multipart/form-data`` with ``token``, ``id`` (the
    widget's message id), an optional ``text`` and ``lang``, and ``file``."""
    account = _channel(key)
    if account is None:
        return _error("not_found", "No such chat.", 404)
    if _refused_origin(request, account):
        return _error("origin_refused", "This site may not use this chat.", 403)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), request, account)
    language = services.language_of(request.POST.get("lang"))
    with translation.override(language):
        response = _upload(request, account, language)
    return _cors(response, request, account)


def _upload(request: HttpRequest, account: ChannelAccount, language: str) -> HttpResponse:
    conf = widget_config.parse(account.key, account.settings)
    declared = as_int(request.META.get("CONTENT_LENGTH"))
    if declared > conf.max_upload_bytes + 64 * 1024:
        # Refused before the body is read: a huge upload costs us nothing.
        return _error(
            "file_too_large",
            _("The file is larger than %(mb)s MB.") % {"mb": conf.max_upload_bytes // 2**20},
            413,
        )
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _error("no_file", _("Choose a file to send."), 400)
    try:
        session = services.session_start(
            account=account,
            token=request.POST.get("token"),
            identity=_identity(request.POST.get("identity")),
            language=language,
            user_agent=request.headers.get("User-Agent", ""),
            ip=request.META.get("REMOTE_ADDR", ""),
        )
        if not services.public_id_matches(session, request.POST.get("token")):
            return _error("bad_token", _("Start the chat again, then send the file."), 403)
        if uploaded.size is not None and uploaded.size > conf.max_upload_bytes:
            return _error(
                "file_too_large",
                _("The file is larger than %(mb)s MB.") % {"mb": conf.max_upload_bytes // 2**20},
                413,
            )
        result = services.upload_receive(
            account=account,
            session=session,
            client_id=request.POST.get("id"),
            text=request.POST.get("text", ""),
            filename=uploaded.name or "file",
            content_type=uploaded.content_type or "",
            data=uploaded.read(),
        )
    except RateLimited as exc:
        return _error(exc.code, exc.message, 429, retry_after=round(exc.retry_after, 1))
    except DomainError as exc:
        return _error(exc.code, exc.message, exc.status)
    message = selectors.conversation_message(
        session.channel_id, session.thread_key, result.message.pk
    )
    payload = selectors.message_payload(
        message or result.message, channel_key=account.key, public_id=session.public_id
    )
    return JsonResponse({"message": payload}, status=200 if result.duplicate else 201)


def _identity(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return loads_untrusted(raw)
    except ValueError:
        return "not json"


@require_GET
def file(request: HttpRequest, key: str, token: str) -> HttpResponseBase:
    """A file of a conversation, behind a signed link the widget was given."""
    try:
        attachment = selectors.attachment_for_link(token)
    except NotFound as exc:
        return _error("not_found", exc.message, 404)
    ticket = attachment.message.ticket
    account = ticket.channel_account
    if account is None or account.key != key:
        return _error("not_found", "This file is not available.", 404)
    response = file_response(
        attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@login_required
@require_GET
def try_widget(request: HttpRequest, key: str) -> HttpResponse:
    """A page of the desk with the chat on it, for agents to see and try it."""
    account = _channel(key)
    if account is None:
        return HttpResponse(status=404)
    widget_url = request.build_absolute_uri(reverse("webchat:widget-js"))
    response = render(request, "webchat/try.html", {"account": account, "widget_url": widget_url})
    response["X-Frame-Options"] = "DENY"
    return response
