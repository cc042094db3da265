"""Turning the bytes of real mail into text, whatever charset it claims.

Mail clients declare charsets they do not use (1C and old Outlook send windows-1251 as
"iso-8859-1" or with no charset at all), name charsets Python does not know
("unknown-8bit", "x-user-defined", "utf8mb4"), and put raw 8-bit bytes in headers. Nothing
here raises: a declared charset is trusted when the bytes decode with it and the result does
not look like Cyrillic read in the wrong code page; otherwise UTF-8, then the Cyrillic code
page whose letters read most like Russian, then windows-1252 (which decodes everything).
"""

from __future__ import annotations

import codecs
import re

# Charset names seen in the wild that Python's codec registry does not know.
_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "x-user-defined": "",
    "default": "",
    "utf8mb4": "utf-8",
    "utf-8mb4": "utf-8",
    "x-cp1251": "cp1251",
    "win-1251": "cp1251",
    "windows-1251-rus": "cp1251",
    "cp-1251": "cp1251",
    "koi8r": "koi8-r",
    "x-koi8-r": "koi8-r",
    "ks_c_5601-1987": "cp949",
    "x-mac-cyrillic": "mac-cyrillic",
}
# Declared charsets that are often a lie for 8-bit text written elsewhere.
_WEAK = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", ""}
_CYRILLIC_PAGES = ("cp1251", "koi8-r")
# The most frequent lower-case Russian letters; real text is mostly these.
_COMMON_RU = frozenset("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё")
_LATIN1_MOJIBAKE = re.compile(r"[À-ÿ]{3,}")


def codec_for(declared: str | None) -> str:
    """A codec name Python knows for ``declared``, or "" when there is none."""
    name = (declared or "").strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return ""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return ""


_MARKUP = re.compile(r"<[^<>]*>")


def russian_score(text: str) -> float:
    """How much ``text`` reads like Russian: the share of its letters (outside HTML
    markup) that are common lower-case Russian letters (KOI8-R read as windows-1251 comes
    out mostly capitals; Latin-1 text read as windows-1251 keeps its Latin letters)."""
    letters = [ch for ch in _MARKUP.sub(" ", text[:20_000]) if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if ch in _COMMON_RU) / len(letters)


def _best_cyrillic(data: bytes) -> tuple[str, float]:
    best, best_score = "", -1.0
    for page in _CYRILLIC_PAGES:
        text = data.decode(page, errors="replace")
        score = russian_score(text)
        if score > best_score:
            best, best_score = text, score
    return best, best_score


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def html_charset(data: bytes) -> str:
    """The charset an HTML document names in its own <meta> tag, if any."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii", "replace") if found else ""


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text of ``data`` declared as ``declared`` (see the module docstring)."""
    if not data:
        return ""
    codec = codec_for(declared)
    weak = (declared or "").strip().lower() in _WEAK or not codec
    if data.isascii():
        return data.decode("ascii")
    if codec and not weak:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if codec in _CYRILLIC_PAGES:
                # windows-1251 and KOI8-R decode any bytes; pick the one that reads as
                # Russian when the label names the other.
                other, other_score = _best_cyrillic(data)
                return other if other_score > russian_score(text) + 0.2 else text
            if codec == "utf-8" or not _looks_misread(text):
                return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    cyrillic, score = _best_cyrillic(data)
    if score > 0.5:
        return cyrillic
    if codec:
        return data.decode(codec, errors="replace")
    return data.decode("cp1252", errors="replace")


def _looks_misread(text: str) -> bool:
    """Latin-1 letters in runs, the way windows-1251 Russian looks read as Latin-1."""
    return bool(_LATIN1_MOJIBAKE.search(text))
