"""Finding the phone numbers and email addresses a customer gives in free text.

"Мой номер 8 (912) 345-67-89, почта ivan@mail.ru" — people write contacts in every
format, so the patterns below accept the ways they are really written and refuse
what only looks like them (order numbers, card numbers, dates, prices). Each value found
is normalised exactly as identities are stored (``customers.identities``), so it can be
compared with them directly. Pure functions: no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from unidesk.core.errors import ValidationFailed
from unidesk.customers.identities import canonical_phone, normalize_identity
from unidesk.customers.models import IdentityKind

# Bound the work one message can cause, however long it is or however many numbers it lists.
MAX_TEXT = 20_000
MAX_VALUES = 20

_SEP = r"[ \-.]{0,2}"
# A digit, or something that glues a number to a longer token (an order id "A-8912…", a
# URL path, "№", "#"): a phone never starts or ends right next to one of these.
_BEFORE = r"(?<![0-9A-Za-z\u0400-\u04FF+/#№_=\-])"
_AFTER = r"(?![0-9])(?![ \-.]?[0-9])"

# Russian numbers: +7 / 7 / 8, then 10 digits grouped 3-3-2-2 (or 3-3-4, 3-7…), the
# area code optionally in brackets; the area code starts with 3, 4, 8 or 9.
_RUSSIAN = re.compile(
    _BEFORE
    + r"(?P<prefix>\+7|8|7)"
    + _SEP
    + r"(?:\((?P<code1>[3489][0-9]{2})\)|(?P<code2>[3489][0-9]{2}))"
    + _SEP
    + r"(?P<rest>[0-9]{3}"
    + _SEP
    + r"[0-9]{2}"
    + _SEP
    + r"[0-9]{2})"
    + _AFTER,
    re.ASCII,
)
# A Russian mobile without the prefix, but unmistakably written as a phone number:
# "(912) 345-67-89", "912 345-67-89". A bare run of ten digits is not taken (it is as
# often an order number).
_RUSSIAN_LOCAL = re.compile(
    _BEFORE
    + r"(?:\((?P<code1>9[0-9]{2})\)[ ]?|(?P<code2>9[0-9]{2})[ ])"
    + r"(?P<rest>[0-9]{3}[ \-][0-9]{2}-[0-9]{2}|[0-9]{3}-[0-9]{2}[ \-][0-9]{2})"
    + _AFTER,
    re.ASCII,
)
# International numbers: "+" or "00", a country code, groups of digits with single
# separators and at most one pair of brackets.
_INTERNATIONAL = re.compile(
    r"(?<![0-9A-Za-z+/#№_=])"
    + r"(?P<number>(?:\+|00)[1-9][0-9]{0,3}(?:[ \-.]?\(?[0-9]{1,5}\)?){1,6})"
    + r"(?![0-9])",
    re.ASCII,
)

# Addresses: the local part as mail systems allow it in practice (letters of any script,
# as internationalised mail does), a domain of labels (кто@пример.рф), and a top-level
# name of letters.
_EMAIL = re.compile(
    r"(?<![\w.+\-@])"
    r"(?P<local>[\w!#$%&'*+/=?^`{|}~\-]+(?:\.[\w!#$%&'*+/=?^`{|}~\-]+)*)"
    r"@(?P<domain>(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63})"
    r"(?![\w@])",
)
# "ivan [at] mail.ru", "ivan (at) mail (dot) ru", "ivan собака mail.ru": addresses people
# spell out so that robots do not collect them. A bare English "at" is too common in
# sentences to be taken for one.
_AT = re.compile(r"\s*[\[({]\s*(?:at|собака)\s*[\])}]\s*|\s+собака\s+", re.IGNORECASE)
_DOT = re.compile(r"\s*[\[({]\s*(?:dot|точка)\s*[\])}]\s*", re.IGNORECASE)

# Unicode dashes, minus signs and odd spaces people paste from phones and documents.
_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\ufe63": "-", "\uff0d": "-",
        "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
        "\u00ad": "", "\u2060": "", "\ufeff": "",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Contact:
    """A normalised value found in text: ``kind`` is ``phone`` or ``email``."""

    kind: str
    value: str
    # As the customer wrote it, to show the agent where the suggestion comes from.
    written: str


def contacts_in(text: str) -> list[Contact]:
    """Phone numbers and email addresses in ``text``, normalised, without repeats, in the
    order they appear (at most ``MAX_VALUES``)."""
    prepared = _prepare(text)
    found: list[tuple[int, Contact]] = []
    taken: list[tuple[int, int]] = []
    for position, contact, span in _emails(prepared):
        found.append((position, contact))
        taken.append(span)
    for position, contact, _span in _phones(prepared, taken):
        found.append((position, contact))
    result: list[Contact] = []
    seen: set[tuple[str, str]] = set()
    for _position, contact in sorted(found, key=lambda item: item[0]):
        key = (contact.kind, contact.value)
        if key not in seen:
            seen.add(key)
            result.append(contact)
        if len(result) == MAX_VALUES:
            break
    return result


def _prepare(text: str) -> str:
    # NFKC turns full-width digits and letters into plain ones.
    return unicodedata.normalize("NFKC", (text or "")[:MAX_TEXT]).translate(_PUNCTUATION)


def _emails(text: str) -> list[tuple[int, Contact, tuple[int, int]]]:
    spelled = _DOT.sub(".", _AT.sub("@", text)) if _AT.search(text) else text
    results = []
    for match in _EMAIL.finditer(spelled):
        written = match.group(0)
        try:
            value = normalize_identity(IdentityKind.EMAIL, written)
        except ValidationFailed:
            continue
        span = match.span() if spelled is text else (-1, -1)
        results.append((match.start(), Contact(IdentityKind.EMAIL, value, written), span))
    return results


def _phones(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, Contact, tuple[int, int]]]:
    results: list[tuple[int, Contact, tuple[int, int]]] = []
    claimed = list(taken)

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= start or span[0] >= end for start, end in claimed)

    for pattern in (_RUSSIAN, _RUSSIAN_LOCAL):
        for match in pattern.finditer(text):
            if not free(match.span()):
                continue
            code = match.group("code1") or match.group("code2")
            digits = "7" + code + re.sub(r"[^0-9]", "", match.group("rest"))
            claimed.append(match.span())
            contact = Contact(IdentityKind.PHONE, f"+{digits}", match.group(0).strip())
            results.append((match.start(), contact, match.span()))
    for match in _INTERNATIONAL.finditer(text):
        written = match.group("number").rstrip(" -.(")
        span = (match.start(), match.start() + len(written))
        if not free(span) or written.count("(") != written.count(")"):
            continue
        digits = re.sub(r"[^0-9]", "", written)
        if written.startswith("00"):
            digits = digits[2:]
        # E.164 numbers have at most 15 digits; fewer than 8 are short codes, not phones.
        if not 8 <= len(digits) <= 15:
            continue
        value = canonical_phone("+" + digits)
        if value is None:
            continue
        claimed.append(span)
        results.append((match.start(), Contact(IdentityKind.PHONE, value, written), span))
    return results
