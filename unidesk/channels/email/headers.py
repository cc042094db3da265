"""Reading mail headers without trusting them: RFC 2047 words in any charset, raw 8-bit
bytes, folded lines, and display names that try to smuggle in addresses or headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

from unidesk.channels.email.charsets import decode_bytes

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:\[\]\\]+@[^@\s<>\"(),;:\[\]\\]+\.[^@\s<>\"(),;:\[\]\\]+$")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


@dataclass(frozen=True)
class Address:
    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]


def raw_header(message: Message, name: str) -> str:
    """The header's value as it arrived (first occurrence), unfolded; 8-bit bytes are kept
    as surrogate escapes for ``decode_text`` to read."""
    for key, value in message.raw_items():  # type: ignore[attr-defined]
        if key.lower() == name.lower():
            return str(value).replace("\r", "").replace("\n", " ")
    return ""


def raw_headers(message: Message, name: str) -> list[str]:
    return [
        str(value).replace("\r", "").replace("\n", " ")
        for key, value in message.raw_items()  # type: ignore[attr-defined]
        if key.lower() == name.lower()
    ]


def _from_surrogates(value: str) -> str:
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def decode_text(raw: str) -> str:
    """A header value as one clean line of text."""
    value = _from_surrogates(raw)
    if _ENCODED_WORD.search(value):
        # Encoded words separated only by whitespace join without it (RFC 2047 §6.2).
        value = re.sub(r"(\?=)\s+(=\?)", r"\1\2", value)
        try:
            parts = decode_header(value)
        except (ValueError, IndexError, AssertionError):
            parts = [(value, None)]
        value = "".join(
            decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
            for chunk, charset in parts
        )
    value = _CONTROL.sub(" ", value)
    return _SPACES.sub(" ", value).strip()


def clean_email(value: str) -> str:
    """The address, lower-cased, or "" when it is not one."""
    address = _CONTROL.sub("", value).strip().strip("<>").strip()
    if not _ADDRESS.match(address):
        return ""
    local, _at, domain = address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = domain.lower()
    return f"{local}@{domain}".lower()


_PLACEHOLDER = re.compile(r"UNIDESKWORD(\d+)X")


def addresses(message: Message, *names: str) -> list[Address]:
    """Addresses in the named headers, in order, without repeats or unusable entries.

    The structure is read with every RFC 2047 word replaced by an inert placeholder, and
    the words are decoded into display names afterwards: a name whose encoded text holds
    quotes, commas, "<address>" or line breaks cannot add an address or a header. A name
    that itself looks like an address is dropped, so agents see the real one."""
    found: list[Address] = []
    seen: set[str] = set()
    words: list[str] = []

    def hide(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"UNIDESKWORD{len(words) - 1}X"

    raws = [
        _ENCODED_WORD.sub(hide, _from_surrogates(raw))
        for name in names
        for raw in raw_headers(message, name)
    ]
    for name, email in getaddresses(raws):
        address = clean_email(email)
        if not address or address in seen or "unideskword" in address:
            continue
        seen.add(address)
        shown = decode_text(_PLACEHOLDER.sub(lambda m: words[int(m.group(1))], name))
        shown = shown.strip("'\" ")
        if "@" in shown or "<" in shown or ">" in shown:
            shown = ""
        found.append(Address(name=shown[:200], email=address))
    return found


_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")


def message_ids(raw: str) -> list[str]:
    """Message-IDs in a References / In-Reply-To value, without angle brackets. Values
    that lost their brackets (some clients) count as one id each."""
    ids = _MESSAGE_ID.findall(raw)
    if not ids:
        ids = [token.strip("<>") for token in raw.split() if "@" in token]
    return [clean_id(i) for i in ids if clean_id(i)]


def clean_id(value: str) -> str:
    return _CONTROL.sub("", value).strip().strip("<>").strip()[:250]
