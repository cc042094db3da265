"""The vocabulary the demo's conversations are written in.

A conversation is a list of steps, each happening some minutes after the one before it; the
loader turns every step into the same service call a real customer or agent would cause.
Times are in the shop's working day (Moscow), so the week reads like real shifts.
"""

from __future__ import annotations

from dataclasses import dataclass

# Minutes, hours and days, for writing ``after=2 * H + 15``.
M = 1
H = 60
D = 24 * H


@dataclass(frozen=True)
class Day:
    """The conversation starts ``days_ago`` days before today at ``at`` (HH:MM, shop time)."""

    days_ago: int
    at: str


@dataclass(frozen=True)
class Ago:
    """The conversation starts this many minutes before the demo is loaded: today's fresh
    arrivals. (Loaded in the morning, before the end of yesterday's shift instead.)"""

    minutes: int


@dataclass(frozen=True)
class Say:
    """The customer writes (through the conversation's channel)."""

    text: str
    after: int = 0
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """An agent answers the customer; ``status`` is set right after sending (pending,
    solved…), as the reply box's "send and set status" does."""

    agent: str
    text: str
    after: int = 0
    status: str = ""
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """An internal note, seen only by agents."""

    agent: str
    text: str
    after: int = 0


@dataclass(frozen=True)
class Change:
    """An agent (or, with ``agent=""``, the system) changes the ticket's properties.
    ``assign`` names an agent; ``tags`` are added to those the ticket already has."""

    agent: str
    after: int = 0
    status: str = ""
    priority: str = ""
    group: str = ""
    assign: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    """An agent adds the customer's address on another channel (``kind`` is an identity
    kind: whatsapp, telegram…) to the customer's card."""

    agent: str
    kind: str
    after: int = 0


@dataclass(frozen=True)
class Call:
    """The customer phones (through a phone channel): a call as the phone system reports
    it. ``status`` is the platform's (answered, missed, voicemail…); a recording is kept
    at ``recording`` when given."""

    status: str
    after: int = 0
    seconds: int = 0
    recording: str = ""
    agent: str = ""


@dataclass(frozen=True)
class Relate:
    """An agent links this conversation's ticket with the ticket of the conversation named
    ``other`` (its ``key``): the same problem, seen twice."""

    agent: str
    other: str
    after: int = 0


@dataclass(frozen=True)
class CloseDuplicate:
    """An agent closes the ticket of the conversation named ``duplicate`` as a duplicate
    of this one; the customer is told there where the conversation continues."""

    agent: str
    duplicate: str
    after: int = 0


Step = Say | Reply | Note | Change | Link | Call | Relate | CloseDuplicate


@dataclass(frozen=True)
class Person:
    """A customer and the addresses each channel knows them by."""

    name: str
    email: str = ""
    phone: str = ""
    telegram: str = ""
    vk: str = ""
    webchat: str = ""


@dataclass(frozen=True)
class Conversation:
    """One ticket's story. ``channel`` and ``customer`` are keys of the desk's channels and
    of the cast; the first step is the customer's first message."""

    channel: str
    customer: str
    start: Day | Ago
    steps: tuple[Step, ...]
    subject: str = ""
    public: bool = False
    # The language the customer writes in (agents' email signatures follow it).
    language: str = "ru"
    # How other conversations' steps refer to this one (Relate, CloseDuplicate).
    key: str = ""
    # The channel's greeting bot takes part (it answers each message of the customer's
    # until it hands the conversation over to a person).
    bot: bool = False
