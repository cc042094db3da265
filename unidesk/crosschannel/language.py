"""Which language to write to a customer in.

The customer's own ``language`` when it is known; otherwise the language their latest
messages on the ticket are written in (Cyrillic or Latin letters), which is what
someone reading the conversation would go by; otherwise the desk's default.
"""

from __future__ import annotations

from django.conf import settings

from unidesk.customers.models import Customer
from unidesk.tickets.models import Direction, Message, Ticket

_SAMPLE_MESSAGES = 5


def _supported() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def letters_language(text: str) -> str | None:
    """``ru`` for text mostly in Cyrillic letters, ``en`` for Latin, None with neither."""
    cyrillic = latin = 0
    for char in text:
        if "а" <= char.lower() <= "я" or char in "ёЁ":
            cyrillic += 1
        elif "a" <= char.lower() <= "z":
            latin += 1
    if cyrillic == latin == 0:
        return None
    return "ru" if cyrillic >= latin else "en"


def customer_language(customer: Customer, ticket: Ticket | None = None) -> str:
    supported = _supported()
    language = (customer.language or "").split("-")[0].lower()
    if language in supported:
        return language
    if ticket is not None:
        texts = (
            Message.objects.filter(ticket=ticket, direction=Direction.IN)
            .order_by("-created_at", "-id")
            .values_list("text", flat=True)[:_SAMPLE_MESSAGES]
        )
        guess = letters_language(" ".join(texts))
        if guess in supported:
            return guess
    default = settings.LANGUAGE_CODE.split("-")[0]
    return default if default in supported else "en"
