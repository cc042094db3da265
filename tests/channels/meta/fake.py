"""A fake Messenger Platform Send API (Graph API) over real HTTP, for both Facebook
Messenger and Instagram Direct: sending (JSON and multipart uploads), profiles, the CDN
that serves attachment links, and Graph-shaped errors."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.channels.meta_graph import expired_token, graph_error, hub_signature
from tests.support.platform import Call, FakePlatform, Reply

PAGE_TOKEN = "EAAGpage-access-token"
APP_SECRET = "meta-app-secret"
APP_ID = "1517776481860111"
VERIFY_TOKEN = "meta-verify-token"
PAGE_ID = "108215641995517"
IG_ACCOUNT_ID = "17841405822304914"
SETTINGS = {
    "page_access_token": PAGE_TOKEN, "app_secret": APP_SECRET, "app_id": APP_ID,
    "verify_token": VERIFY_TOKEN, "page_id": PAGE_ID,
}  # fmt: skip
CDN_HOSTS = (b"https://scontent.xx.fbcdn.net", b"https://lookaside.fbsbx.com")


def signed_headers(secrets: dict[str, str], body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": hub_signature(secrets["app_secret"], body)}


def signed(secrets: dict[str, str], body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(secrets, body)


class FakeMeta(FakePlatform):
    def __init__(self, token: str = PAGE_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.files: dict[str, bytes] = {}
        self.profiles = {
            "6843210987654321": {"first_name": "Maria", "last_name": "Lopez"},
            "1254459154682919": {"name": "Катя Орлова", "username": "katya.orlova"},
        }
        self._ids = itertools.count(1)
        self.route("POST", rf"/v[\d.]+/({PAGE_ID}|me)/messages", self._send)
        self.route("GET", r"/v[\d.]+/(?P<user>\d+)", self._profile)
        self.route("GET", r"/cdn/(?P<path>.*)", self._cdn)

    def cdn(self, body: bytes) -> bytes:
        for host in CDN_HOSTS:
            body = body.replace(host, f"{self.url}/cdn".encode())
        return body

    def sent(self) -> list[dict[str, Any]]:
        out = []
        for call in self.calls:
            if call.path.endswith("/messages"):
                form = call.form()
                if "recipient" in form and isinstance(form["recipient"], str):
                    form = {**form, "recipient": json.loads(form["recipient"]),
                            "message": json.loads(form["message"])}  # fmt: skip
                out.append(form)
        return out

    def _authorized(self, call: Call) -> bool:
        return call.headers.get("authorization") == f"Bearer {self.token}"

    def _send(self, call: Call, match: Any) -> Reply:
        if not self._authorized(call):
            return expired_token()
        form = call.form()
        recipient = form.get("recipient")
        if isinstance(recipient, str):
            recipient = json.loads(recipient)
        if not isinstance(recipient, dict) or not recipient.get("id"):
            return graph_error(400, 100, "(#100) The parameter recipient is required")
        if recipient["id"] == "outside-window":
            return graph_error(400, 10, "(#10) This message is sent outside of allowed window.",
                               subcode=2018278)  # fmt: skip
        return Reply(
            200, {"recipient_id": recipient["id"], "message_id": f"m_OUT{next(self._ids)}"}
        )

    def _profile(self, call: Call, match: Any) -> Reply:
        if not self._authorized(call):
            return expired_token()
        profile = self.profiles.get(match["user"])
        if profile is None:
            return graph_error(
                400, 100, "(#100) Unsupported get request.", kind="GraphMethodException"
            )
        return Reply(200, {**profile, "id": match["user"]})

    def _cdn(self, call: Call, match: Any) -> Reply:
        key = call.recorded.path.removeprefix("/cdn/")  # with the query: links are signed
        for name, data in self.files.items():
            if key.startswith(name):
                return Reply(200, data, content_type="image/jpeg")
        return Reply(403, b"URL signature expired", content_type="text/plain")
