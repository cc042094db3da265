"""A fake WhatsApp Cloud API (Graph API) over real HTTP: sending messages, uploading and
downloading media, Graph-shaped errors."""

from __future__ import annotations

import itertools
from typing import Any

from tests.channels.meta_graph import expired_token, graph_error, hub_signature
from tests.support.platform import Call, FakePlatform, Reply

ACCESS_TOKEN = "EAAGtest-whatsapp-access-token"
APP_SECRET = "whatsapp-app-secret"
VERIFY_TOKEN = "whatsapp-verify-token"
PHONE_NUMBER_ID = "106540352242922"
SETTINGS = {
    "access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
    "phone_number_id": PHONE_NUMBER_ID,
}  # fmt: skip


def signed_headers(secrets: dict[str, str], body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": hub_signature(secrets["app_secret"], body)}


def signed(secrets: dict[str, str], body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(secrets, body)


class FakeWhatsApp(FakePlatform):
    def __init__(self, token: str = ACCESS_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.media: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(1)
        self.route("POST", rf"/v[\d.]+/{PHONE_NUMBER_ID}/messages", self._send)
        self.route("POST", rf"/v[\d.]+/{PHONE_NUMBER_ID}/media", self._upload)
        self.route("GET", r"/v[\d.]+/(?P<media_id>[\w.-]+)", self._media_info)
        self.route("GET", r"/download/(?P<media_id>[\w.-]+)", self._download)

    def add_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        self.media[media_id] = (data, mime_type)

    def sent(self) -> list[dict[str, Any]]:
        return [c.json() for c in self.calls if c.path.endswith("/messages")]

    def _authorized(self, call: Call) -> bool:
        return call.headers.get("authorization") == f"Bearer {self.token}"

    def _send(self, call: Call, match: Any) -> Reply:
        if not self._authorized(call):
            return expired_token()
        body = call.json()
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return graph_error(400, 100, "(#100) Invalid parameter", kind="OAuthException")
        if body.get("type") not in {"text", "image", "document", "audio", "video", "template",
                                    "interactive"}:  # fmt: skip
            return graph_error(400, 100, "(#100) Param type is not valid")
        return Reply(200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": f"wamid.OUT{next(self._ids)}"}],
        })  # fmt: skip

    def _upload(self, call: Call, match: Any) -> Reply:
        if not self._authorized(call):
            return expired_token()
        form = call.form()
        if not isinstance(form.get("file"), tuple) or form.get("messaging_product") != "whatsapp":
            return graph_error(400, 100, "(#100) The parameter file is required.")
        media_id = f"up{next(self._ids)}"
        self.media[media_id] = (form["file"][1], form["file"][2])
        return Reply(200, {"id": media_id})

    def _media_info(self, call: Call, match: Any) -> Reply:
        if not self._authorized(call):
            return expired_token()
        media_id = match["media_id"]
        if media_id not in self.media:
            return graph_error(404, 100, "(#100) Media not found", kind="GraphMethodException")
        data, mime_type = self.media[media_id]
        return Reply(200, {
            "messaging_product": "whatsapp", "url": f"{self.url}/download/{media_id}",
            "mime_type": mime_type, "sha256": "x", "file_size": len(data), "id": media_id,
        })  # fmt: skip

    def _download(self, call: Call, match: Any) -> Reply:
        if not self._authorized(call):
            return Reply(401, b"", content_type="text/plain")
        data, mime_type = self.media[match["media_id"]]
        return Reply(200, data, content_type=mime_type)
