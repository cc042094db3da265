"""HTML from outside, end to end: what a customer sends (as HTML through the API channel,
or in an email) and what a customer calls themselves is shown to agents without anything
that could run, load from elsewhere, or leave the page; exports neutralise formulas."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.core.actor import Actor
from unidesk.tickets.models import Message, Ticket
from unidesk.tickets.services import ticket_update

pytestmark = [
    pytest.mark.django_db,
    # The sync test client reads the CSV that a server streams asynchronously.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume:Warning"),
]

EVIL_NAME = "<img src=x onerror=alert(1)>"
FORMULA_NAME = '=HYPERLINK("https://evil.example","alert(2)")'
EVIL_HTML = (
    "<p>Hello, my order</p>"
    "<script>alert(3)</script>"
    '<img src=x onerror="alert(4)">'
    '<a href="javascript:alert(5)">link</a>'
    '<a href=" JaVaScRiPt:alert(6)">link</a>'
    '<a href="java&#x09;script:alert(7)">link</a>'
    "<svg onload=alert(8)><circle r=1 /></svg>"
    '<iframe src="https://evil.example/alert(9)"></iframe>'
    '<div style="width: expression(alert(10))">css</div>'
    '<p style="background:url(&quot;javascript:alert(11)&quot;)">bg</p>'
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMTIpPg==">'
    '<form action="https://evil.example/alert(13)"><input name=q autofocus onfocus=alert(14)>'
    "</form>"
    '<math><mi xlink:href="javascript:alert(15)">m</mi></math>'
    '<object data="https://evil.example/alert(16).swf"></object>'
    '<embed src="https://evil.example/alert(17).swf">'
    '<base href="https://evil.example/alert(18)/">'
    '<meta http-equiv="refresh" content="0;url=https://evil.example/alert(19)">'
    '<link rel="stylesheet" href="https://evil.example/alert(20).css">'
    "<style>body { background: url(javascript:alert(21)) }</style>"
    "<p>please help</p>"
)
MARKERS = ("alert(", "evil.example", "data:image/svg")


class Page(HTMLParser):
    """The tags of a page with their attributes, the contents of its scripts and styles,
    and its text, as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.code: list[str] = []
        self.text: list[str] = []
        self._in_code = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_code = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        (self.code if self._in_code else self.text).append(data)

    def dangers(self) -> list[str]:
        found = []
        for tag, attrs in self.tags:
            if tag in ("iframe", "frame", "object", "embed", "base", "applet"):
                found.append(f"<{tag}>")
            if tag == "meta" and "http-equiv" in attrs:
                found.append("<meta http-equiv>")
            for name, value in attrs.items():
                squashed = "".join(value.split()).lower()
                if name.startswith("on"):
                    found.append(f"<{tag} {name}>")
                if "javascript:" in squashed or "expression(" in squashed:
                    found.append(f"<{tag} {name}={value!r}>")
                if any(marker in value for marker in MARKERS):
                    found.append(f"<{tag} {name}={value!r}>")
        found.extend(f"code: {c[:60]!r}" for c in self.code if any(m in c for m in MARKERS))
        return found

    def says(self, words: str) -> bool:
        return words in " ".join(" ".join(self.text).split())


@pytest.fixture
def web(supervisor: Agent) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client


def _from_the_api_channel() -> Ticket:
    account, secret = factories.channel("api", group_name="General")
    response = Client().post(
        f"/api/v1/channels/api/{account.key}/messages",
        json.dumps({"external_id": "evil-1", "name": EVIL_NAME, "subject": EVIL_NAME,
                    "identity": {"kind": "email", "value": "evil@example.com"},
                    "html": EVIL_HTML}),
        content_type="application/json", headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return Ticket.objects.get(pk=response.json()["ticket_id"])


def _from_an_email(run_tasks: Callable[[], int]) -> Ticket:
    account, secret = factories.channel("email", settings={"address": "help@example.com"})
    raw = (
        'From: "<img src=x onerror=alert(1)>" <evil@example.com>\r\n'
        "To: help@example.com\r\n"
        "Subject: <img src=x onerror=alert(1)>\r\n"
        "Message-ID: <evil-1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, my order\r\n"
        "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><body>{EVIL_HTML}</body></html>\r\n--b--\r\n"
    ).encode()
    response = Client().post(
        f"/api/v1/channels/email/{account.key}/raw", raw, content_type="message/rfc822",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    run_tasks()
    return Ticket.objects.get()


@pytest.mark.parametrize("source", ["api", "email"])
def test_hostile_html_is_shown_without_anything_that_runs(
    web: Client, run_tasks: Callable[[], int], source: str
) -> None:
    ticket = _from_the_api_channel() if source == "api" else _from_an_email(run_tasks)

    page = Page(web.get(f"/t/{ticket.number}/").content.decode())

    assert page.dangers() == []
    assert page.says("Hello, my order")
    assert page.says("please help")
    stored = Message.objects.get(ticket=ticket)
    assert Page(stored.html).dangers() == []


def test_a_hostile_customer_name_is_text_on_every_page(web: Client, supervisor: Agent) -> None:
    ticket = _from_the_api_channel()
    ticket_update(ticket=ticket, assignee=supervisor, actor=Actor.for_agent(supervisor))

    for url in (
        "/",
        f"/t/{ticket.number}/",
        f"/customers/{ticket.requester_id}/",
        "/search/?q=order",
        "/reports/",
        "/reports/by/agent/",
        "/reports/by/group/",
        "/reports/by/channel/",
    ):
        response = web.get(url)
        assert response.status_code == 200, url
        page = Page(response.content.decode())
        assert page.dangers() == [], url
        if url != "/reports/" and "/reports/by/" not in url:
            assert page.says(EVIL_NAME), url


def test_exports_keep_names_as_text_and_neutralise_formulas(
    web: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # reports are kept after commit
        ticket = _from_the_api_channel()
    ticket.requester.name = FORMULA_NAME
    ticket.requester.save(update_fields=["name"])

    rows = list(csv.reader(io.StringIO(b"".join(web.get("/reports/tickets.csv")).decode())))
    workbook = _workbook(web.get("/reports/tickets.xlsx").content)

    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA_NAME in cells
    assert EVIL_NAME in cells  # the subject: plain text in a spreadsheet
    sheet_cells = [c for row in workbook.active.iter_rows(min_row=2, values_only=True) for c in row]
    assert "'" + FORMULA_NAME in sheet_cells
    assert not [c for c in sheet_cells if isinstance(c, str) and c.startswith("=")]


def _workbook(data: bytes):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data), read_only=True)


@pytest.mark.parametrize(
    "token", ["../../etc/passwd", "x" * 5000, "%00", "' OR 1=1 --", "<script>alert(1)</script>"]
)
def test_forged_survey_links_find_nothing(token: str) -> None:
    client = Client(enforce_csrf_checks=False)

    opened = client.get(f"/s/{token}")
    answered = client.post(f"/s/{token}", {"rating": "5", "comment": "<b>hi</b>"})

    assert (opened.status_code, answered.status_code) == (404, 404)
    assert Page(opened.content.decode()).dangers() == []


def test_the_page_check_sees_the_tricks_in_the_raw_html() -> None:
    """So that a clean page above means the tricks were taken out, not missed."""
    dangers = Page(EVIL_HTML).dangers()

    for trick in ("onerror", "onload", "onfocus", "<iframe>", "<object>", "<embed>", "<base>",
                  "<meta http-equiv>", "javascript:alert(5)", "JaVaScRiPt", "expression(",
                  "data:image/svg", "xlink:href", "code: 'alert(3)'"):  # fmt: skip
        assert any(trick in danger for danger in dangers), trick
