"""A fake Telegram Bot API (https://core.telegram.org/bots/api) over real HTTP.

Answers ``{"ok": true, "result": …}`` and ``{"ok": false, "error_code", "description",
"parameters"}`` like the real one; serves files through getFile and ``/file/bot<token>/…``;
queues updates for getUpdates and refuses it while a webhook is set (409)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.support.platform import Call, FakePlatform, Reply

TOKEN = "123456:TEST-bot-token-AAAA"
SECRET_TOKEN = "telegram-secret-token-1"
SETTINGS = {"bot_token": TOKEN, "secret_token": SECRET_TOKEN, "mode": "webhook"}


def ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


def error(code: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(code, body)


def too_many_requests(retry_after: int) -> Reply:
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def signed_headers(secrets: dict[str, str], body: bytes) -> dict[str, str]:
    """Headers Telegram sends with a webhook for this channel."""
    return {"X-Telegram-Bot-Api-Secret-Token": secrets.get("secret_token") or secrets["secret"]}


def signed(secrets: dict[str, str], body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(secrets, body)


class FakeTelegram(FakePlatform):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.files: dict[str, tuple[str, bytes]] = {}
        self.updates: list[dict[str, Any]] = []
        self.webhook_url = ""
        self._ids = itertools.count(500)
        bot = r"/bot(?P<token>[^/]+)/(?P<method>\w+)"
        self.route("POST", bot, self._method)
        self.route("GET", r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", self._file)

    # --- test helpers ---------------------------------------------------------------------

    def add_file(self, file_id: str, data: bytes, path: str) -> None:
        self.files[file_id] = (path, data)

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [c.params() for c in self.calls if c.path.endswith(f"/{method}")]

    # --- the API --------------------------------------------------------------------------

    def _method(self, call: Call, match: Any) -> Reply:
        if match["token"] != self.token:
            return error(401, "Unauthorized")
        handler = getattr(self, f"_api_{match['method']}", None)
        if handler is None:
            return error(404, "Not Found: method not found")
        return handler(call.params())

    def _message(self, params: dict[str, Any], **extra: Any) -> Reply:
        chat_id = params.get("chat_id")
        if str(chat_id) == "403":
            return error(403, "Forbidden: bot was blocked by the user")
        if not chat_id:
            return error(400, "Bad Request: chat not found")
        return ok(
            {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private"},
                **extra,
            }
        )

    def _api_sendMessage(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        if not str(params.get("text", "")).strip():
            return error(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            return error(400, "Bad Request: message is too long")
        return self._message(params, text=params["text"])

    def _api_sendPhoto(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        if not isinstance(params.get("photo"), tuple):
            return error(400, "Bad Request: there is no photo in the request")
        return self._message(params, photo=[{"file_id": "sent-photo", "width": 1, "height": 1}])

    def _api_sendDocument(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        if not isinstance(params.get("document"), tuple):
            return error(400, "Bad Request: there is no document in the request")
        name = params["document"][0]
        return self._message(params, document={"file_id": "sent-doc", "file_name": name})

    def _api_getFile(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            return error(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return ok({"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                   "file_path": path})  # fmt: skip

    def _api_getUpdates(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        if self.webhook_url:
            return error(
                409, "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )  # fmt: skip
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        return ok([u for u in self.updates if u["update_id"] >= offset][:limit])

    def _api_setWebhook(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        self.webhook_url = str(params.get("url", ""))
        return ok(True)

    def _api_deleteWebhook(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        self.webhook_url = ""
        return ok(True)

    def _api_getMe(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        return ok({"id": 123456, "is_bot": True, "first_name": "Support",
                   "username": "shop_support_bot"})  # fmt: skip

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        return ok(True)

    def _file(self, call: Call, match: Any) -> Reply:
        if match["token"] != self.token:
            return Reply(401, b"Unauthorized", content_type="text/plain")
        for path, data in self.files.values():
            if path == match["path"]:
                return Reply(200, data, content_type="application/octet-stream")
        return Reply(404, b"Not Found", content_type="text/plain")
