"""The script sites embed: one small file that keeps to itself."""

from __future__ import annotations

import gzip
import re

from django.test import Client

WIDGET_GZIP_BUDGET = 30 * 1024


def test_the_widget_script_is_small_and_cacheable(client: Client) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) <= WIDGET_GZIP_BUDGET
    source = gzip.decompress(response.content).decode()
    assert "attachShadow" in source
    again = client.get("/widget.js", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_the_widget_script_declares_no_globals_but_its_own(client: Client) -> None:
    source = client.get("/widget.js").content.decode()

    assert source.lstrip().startswith(("(function", "/*", "//", "(() =>", '"use strict"'))
    assert source.rstrip().endswith(("})();", "})()"))


def test_the_widget_script_touches_nothing_of_the_page_but_its_host(client: Client) -> None:
    source = client.get("/widget.js").content.decode()

    # Styles only inside its shadow root; one global, and only if nobody took the name.
    assert "document.head" not in source
    assert re.findall(r"window\.(\w+)\s*=", source) == ["UnideskChat"]
    assert "if (!window.UnideskChat)" in source
    assert "eval(" not in source
    # Markup is only ever our own constant icons, never text from outside.
    assigned = re.findall(r"innerHTML = (\w+)", source)
    assert set(assigned) <= {"CLIP", "PLANE"}
