"""A fake VK API (https://dev.vk.com/ru/method) over real HTTP: ``{"response": …}`` and
``{"error": {"error_code", "error_msg", "request_params"}}``, file upload servers, and the
user content host that serves photos, documents and voice messages."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.support.platform import Call, FakePlatform, Reply

ACCESS_TOKEN = "vk1.a.community-token"
GROUP_ID = "218374"
SECRET = "vk-secret-1"
CONFIRMATION = "3c5f7a9b"
CONTENT_HOST = b"https://sun9-74.userapi.com"
SETTINGS = {
    "access_token": ACCESS_TOKEN, "group_id": GROUP_ID, "secret": SECRET,
    "confirmation": CONFIRMATION,
}  # fmt: skip


def signed(secrets: dict[str, str], body: bytes) -> tuple[bytes, dict[str, str]]:
    """VK authenticates callbacks with the secret inside the body."""
    event = json.loads(body)
    event["secret"] = secrets["secret"]
    return json.dumps(event, ensure_ascii=False).encode(), {}


def vk_error(code: int, message: str, method: str = "messages.send") -> Reply:
    return Reply(200, {"error": {
        "error_code": code, "error_msg": message,
        "request_params": [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}],
    }})  # fmt: skip


def invalid_token() -> Reply:
    return vk_error(5, "User authorization failed: invalid access_token (4).")


def too_many_requests() -> Reply:
    return vk_error(6, "Too many requests per second")


class FakeVk(FakePlatform):
    def __init__(self, token: str = ACCESS_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.files: dict[str, bytes] = {}
        self.users = {"51230001": ("Анна", "Кузнецова"), "51230002": ("Пётр", "Иванов")}
        self._ids = itertools.count(3001)
        self._sent_random_ids: dict[tuple[str, str], int] = {}
        self.route("POST", r"/method/(?P<method>[\w.]+)", self._method)
        self.route("POST", r"/upload/(?P<kind>photo|doc)", self._upload)
        self.route("GET", r"/content/(?P<name>.+)", self._content)

    def content(self, body: bytes) -> bytes:
        """A fixture with its file links pointing at this fake."""
        return body.replace(CONTENT_HOST, f"{self.url}/content".encode())

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [c.form() for c in self.calls if c.path == f"/method/{method}"]

    def _method(self, call: Call, match: Any) -> Reply:
        params = call.form()
        if params.get("access_token") != self.token:
            return invalid_token()
        if not params.get("v"):
            return vk_error(8, "Invalid request: v (version) is required")
        handler = getattr(self, "_api_" + match["method"].replace(".", "_"), None)
        if handler is None:
            return vk_error(3, "Unknown method passed", match["method"])
        return handler(params)

    def _api_messages_send(self, params: dict[str, Any]) -> Reply:
        peer, random_id = str(params.get("peer_id", "")), str(params.get("random_id", ""))
        if not peer or not random_id:
            return vk_error(100, "One of the parameters specified was missing or invalid")
        if peer == "901":
            return vk_error(901, "Can't send messages for users without permission")
        key = (peer, random_id)
        if key not in self._sent_random_ids:  # VK ignores a repeated random_id
            self._sent_random_ids[key] = next(self._ids)
        return Reply(200, {"response": self._sent_random_ids[key]})

    def _api_wall_createComment(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        if not params.get("owner_id") or not params.get("post_id"):
            return vk_error(100, "One of the parameters specified was missing or invalid")
        return Reply(200, {"response": {"comment_id": next(self._ids), "parents_stack": []}})

    def _api_users_get(self, params: dict[str, Any]) -> Reply:
        people = []
        for user_id in str(params.get("user_ids", "")).split(","):
            if user_id in self.users:
                first, last = self.users[user_id]
                people.append({"id": int(user_id), "first_name": first, "last_name": last,
                               "can_access_closed": True, "is_closed": False})  # fmt: skip
        return Reply(200, {"response": people})

    def _api_photos_getMessagesUploadServer(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        return Reply(200, {"response": {"upload_url": f"{self.url}/upload/photo",
                                        "album_id": -64, "group_id": int(GROUP_ID)}})  # fmt: skip

    def _api_photos_saveMessagesPhoto(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        if params.get("hash") != "h1":
            return vk_error(100, "One of the parameters specified was missing or invalid: hash")
        return Reply(200, {"response": [{"id": 457239017, "owner_id": -int(GROUP_ID),
                                         "access_key": "k"}]})  # fmt: skip

    def _api_docs_getMessagesUploadServer(self, params: dict[str, Any]) -> Reply:  # noqa: N802
        return Reply(200, {"response": {"upload_url": f"{self.url}/upload/doc"}})

    def _api_docs_save(self, params: dict[str, Any]) -> Reply:
        if params.get("file") != "uploaded-file":
            return vk_error(100, "One of the parameters specified was missing or invalid: file")
        return Reply(200, {"response": {"type": "doc", "doc": {
            "id": 6612999, "owner_id": -int(GROUP_ID), "title": params.get("title")}}})  # fmt: skip

    def _upload(self, call: Call, match: Any) -> Reply:
        form = call.form()
        if match["kind"] == "photo":
            if not isinstance(form.get("photo"), tuple):
                return Reply(200, {"error": "ERR_UPLOAD_FILE_NOT_UPLOADED"})
            self.files["photo"] = form["photo"][1]
            return Reply(200, {"server": 1, "photo": '[{"photo":"abc"}]', "hash": "h1"})
        if not isinstance(form.get("file"), tuple):
            return Reply(200, {"error": "no_file"})
        self.files["doc"] = form["file"][1]
        return Reply(200, {"file": "uploaded-file"})

    def _content(self, call: Call, match: Any) -> Reply:
        name = match["name"]
        if name not in self.files:
            return Reply(404, b"Not Found", content_type="text/html")
        return Reply(200, self.files[name], content_type="application/octet-stream")
