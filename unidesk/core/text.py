"""Text helpers shared by every channel: HTML sanitising, plain-text views, search terms."""

from __future__ import annotations

import html as html_lib
import re
from functools import lru_cache

import nh3
import Stemmer

# Tags an agent needs to read a customer's formatted message; everything else (scripts,
# styles, forms, frames, event handlers) is dropped by nh3.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"title", "dir", "lang", "align"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitize_html(raw: str) -> str:
    """Make HTML from outside safe to show inside the workspace.

    Links open in a new tab without a referrer or opener; ``cid:`` image sources survive so
    the caller can point them at stored inline attachments."""
    if not raw:
        return ""
    return nh3.clean(
        raw.replace("\x00", ""),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


_BLOCK_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\s*/?>")
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(raw: str) -> str:
    """A readable plain-text rendering of HTML (for search, previews and text parts)."""
    if not raw:
        return ""
    cleaned = nh3.clean(raw, tags=_ALLOWED_TAGS, attributes={}, strip_comments=True)
    text = _BLOCK_BREAK.sub("\n", cleaned)
    text = _TAG.sub("", text)
    text = html_lib.unescape(text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """Plain text as safe HTML paragraphs (escape first, then add breaks)."""
    escaped = html_lib.escape(text)
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", escaped.strip()) if p]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def strip_control_characters(value: str) -> str:
    """Remove NUL and other C0 controls except tab and newline."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value)


def one_line(value: str, limit: int = 200) -> str:
    collapsed = " ".join(strip_control_characters(value).split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


# --- search terms -------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]")


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def search_terms(text: str, *, limit: int = 20_000) -> list[str]:
    """Lower-cased word stems: Russian morphology for Cyrillic words, English for the rest.

    "заказы", "заказа" and "заказ" all become "заказ"; "refunds" becomes "refund"."""
    if not text:
        return []
    words = _WORD.findall(text[:limit].lower().replace("ё", "е"))
    russian = _stemmer("russian")
    english = _stemmer("english")
    return [
        russian.stemWord(word) if _CYRILLIC.search(word) else english.stemWord(word)
        for word in words
    ]


def search_document(text: str) -> str:
    """The text as stored in the SQLite full-text index (stems separated by spaces)."""
    return " ".join(search_terms(text))
