"""Fetching mail from IMAP mailboxes (RFC 3501), run by the workers.

Every worker runs ``fetch_due`` every few seconds. For each mailbox that is due (its poll
interval passed, or the IDLE watcher saw new mail), whoever takes the mailbox's lease
connects, asks for the UIDs above the last one taken, stores each raw message exactly as a
webhook would (``inbound_store``, keyed by UIDVALIDITY and UID, so a message seen twice is
stored once), then moves the cursor and marks what it took (seen, moved, or left alone).
The network is never used inside a transaction.

The cursor (``UIDVALIDITY:UID``) survives restarts: nothing is skipped and nothing taken
twice. On the first connection, and when the server renumbers the folder (a new
UIDVALIDITY), the messages not yet flagged seen are taken; Message-IDs keep anything taken
before from being stored again.

Where the server offers IDLE (RFC 2177), a watcher thread per mailbox (one across all
workers, by a lease) keeps a connection open and fetches as soon as the server announces
new mail; polling continues as a safety net.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import close_old_connections
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from unidesk.channels import leases, registry
from unidesk.channels.base import ChannelConfig
from unidesk.channels.email.adapter import EmailAdapter, flag, tls_context
from unidesk.channels.models import ChannelAccount, ChannelLease
from unidesk.channels.webhooks import inbound_store

logger = logging.getLogger("unidesk.email")

LANE = "email.imap"
IDLE_LANE = "email.idle"
LEASE = timedelta(minutes=5)
DEFAULT_POLL_SECONDS = 60
BATCH = 20
TIMEOUT_SECONDS = 30
# RFC 2177: re-issue IDLE before 29 minutes; many servers and NATs drop quieter links.
IDLE_RENEW_SECONDS = 9 * 60
NO_IDLE_RECHECK_SECONDS = 3600
AFTER_CHOICES = ("seen", "move", "leave")


class ImapSetupError(Exception):
    """The mailbox cannot be read as configured (readable reason for the operator)."""


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    uid: int

    @classmethod
    def parse(cls, value: str) -> Cursor | None:
        validity, _sep, uid = value.partition(":")
        try:
            return cls(int(validity), int(uid))
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.uidvalidity}:{self.uid}"


# --- connecting ---------------------------------------------------------------------------


@contextmanager
def connected(config: ChannelConfig, *, timeout: float = TIMEOUT_SECONDS) -> Iterator[IMAPClient]:
    """A logged-in IMAP session for the mailbox (SSL, STARTTLS or plain for loopback)."""
    host = config.setting("imap_host")
    security = config.setting("imap_security", "ssl").lower()
    port = int(config.setting("imap_port") or (993 if security == "ssl" else 143))
    context = tls_context(config)
    client = IMAPClient(host, port=port, ssl=security == "ssl", ssl_context=context,
                        timeout=timeout)  # fmt: skip
    try:
        if security == "starttls":
            client.starttls(context)
        client.login(config.setting("imap_user") or config.setting("address"),
                     config.secret("imap_password"))  # fmt: skip
        yield client
    finally:
        try:
            client.logout()
        except (IMAPClientError, OSError):
            client.shutdown()


def check_login(config: ChannelConfig) -> str:
    folder = config.setting("imap_folder", "INBOX") or "INBOX"
    try:
        with connected(config) as client:
            status = client.folder_status(folder, ["MESSAGES"])
    except (IMAPClientError, OSError, ssl.SSLError) as exc:
        raise ImapSetupError(f"IMAP: {_reason(exc)}") from None
    count = int(status.get(b"MESSAGES", 0))
    return f"IMAP login to {config.setting('imap_host')} works ({folder}: {count} messages)"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, LoginError):
        return f"the server refused the login ({text})"
    return text


# --- one fetch ------------------------------------------------------------------------------


def imap_mailboxes() -> list[ChannelAccount]:
    return [
        account
        for account in ChannelAccount.objects.filter(kind="email", is_active=True)
        if account.settings.get("imap_host")
    ]


def poll_seconds(config: ChannelConfig) -> float:
    try:
        return max(5.0, float(config.setting("poll_interval") or DEFAULT_POLL_SECONDS))
    except ValueError:
        return DEFAULT_POLL_SECONDS


_nudged: set[int] = set()
_nudged_lock = threading.Lock()


def nudge(account_id: int) -> None:
    """Fetch this mailbox at the next chance (the IDLE watcher heard of new mail)."""
    with _nudged_lock:
        _nudged.add(account_id)


def _take_nudge(account_id: int) -> bool:
    with _nudged_lock:
        if account_id in _nudged:
            _nudged.discard(account_id)
            return True
    return False


def fetch_due() -> int:
    """The periodic job: fetch every IMAP mailbox that is due; start IDLE watchers."""
    stored = 0
    now = timezone.now()
    last = dict(
        ChannelLease.objects.filter(name=LANE).values_list("channel_account_id", "updated_at")
    )
    for account in imap_mailboxes():
        config = registry.config_of(account)
        previous = last.get(account.pk)
        due = previous is None or (now - previous).total_seconds() >= poll_seconds(config)
        if _take_nudge(account.pk) or due:
            stored += fetch_once(account)
        if flag(config.setting("imap_idle"), True):
            watchers.ensure(account.pk)
    return stored


def fetch_once(account: ChannelAccount) -> int:
    """Take the new mail of one mailbox; returns how many messages were stored. Problems
    are recorded on the mailbox's lease (shown in the administration), never raised."""
    holder = get_random_string(16)
    if not leases.acquire(account.pk, LANE, holder, LEASE):
        return 0
    config = registry.config_of(account)
    stored = 0
    try:
        stored = _fetch(account, config, holder)
    except (IMAPClientError, OSError, ssl.SSLError, ImapSetupError) as exc:
        reason = _reason(exc)
        logger.warning("email channel %s: IMAP fetch failed: %s", account.pk, reason)
        leases.record_error(account.pk, LANE, f"IMAP {config.setting('imap_host')}: {reason}")
    finally:
        _touch(account.pk)
        leases.release(account.pk, LANE, holder)
    return stored


def _touch(account_id: int) -> None:
    ChannelLease.objects.filter(channel_account_id=account_id, name=LANE).update(
        updated_at=timezone.now()
    )


def _fetch(account: ChannelAccount, config: ChannelConfig, holder: str) -> int:
    folder = config.setting("imap_folder", "INBOX") or "INBOX"
    after = config.setting("imap_after", "seen").lower()
    if after not in AFTER_CHOICES:
        raise ImapSetupError(f"imap_after must be one of {', '.join(AFTER_CHOICES)}")
    move_to = config.setting("imap_move_to")
    if after == "move" and not move_to:
        raise ImapSetupError("imap_after=move needs imap_move_to (a folder name)")
    limit = EmailAdapter.max_webhook_bytes
    stored = 0
    with connected(config) as client:
        selected = client.select_folder(folder)
        validity = int(selected[b"UIDVALIDITY"])
        cursor = Cursor.parse(leases.cursor(account.pk, LANE))
        if cursor is None or cursor.uidvalidity != validity:
            # First contact, or the server renumbered the folder: what is unread is new.
            uids = sorted(client.search(["UNSEEN"]))
            cursor = Cursor(validity, 0)
        else:
            uids = sorted(
                u for u in client.search(["UID", f"{cursor.uid + 1}:*"]) if u > cursor.uid
            )
        if after == "move" and move_to not in {name for _f, _d, name in client.list_folders()}:
            client.create_folder(move_to)
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            sizes = client.fetch(batch, ["RFC822.SIZE"])
            for uid in batch:
                raw = _message_bytes(
                    client, uid, int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0)), limit
                )
                if raw is None:
                    continue
                if inbound_store(account_id=account.pk, delivery_id=f"imap:{validity}:{uid}",
                                 body=raw):  # fmt: skip
                    stored += 1
            cursor = Cursor(validity, max(cursor.uid, batch[-1]))
            if not leases.save_cursor(account.pk, LANE, holder, str(cursor)):
                return stored  # the lease ran out; the next holder takes it from here
            _after(client, batch, after, move_to)
        leases.save_cursor(account.pk, LANE, holder, str(cursor))
    return stored


def _message_bytes(client: IMAPClient, uid: int, size: int, limit: int) -> bytes | None:
    if size > limit:
        # Too large to keep whole: its headers and a note go in, the original stays in the
        # mailbox for someone to open there.
        header = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]", b"")
        note = gettext(
            "This message is %(size)s, more than unidesk takes (%(limit)s). It was left in "
            "the mailbox; open it there."
        ) % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        return _replace_body(header, note)
    data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    raw = data.get(b"BODY[]")
    return bytes(raw) if raw is not None else None


def _replace_body(header: bytes, note: str) -> bytes:
    kept = [
        line
        for line in header.split(b"\r\n")
        if not line.lower().startswith((b"content-type", b"content-transfer-encoding"))
    ]
    head = b"\r\n".join(line for line in kept if line)
    return head + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + note.encode() + b"\r\n"


def _after(client: IMAPClient, uids: list[int], after: str, move_to: str) -> None:
    if after == "seen":
        client.add_flags(uids, [b"\\Seen"])
    elif after == "move":
        client.add_flags(uids, [b"\\Seen"])
        if client.has_capability("MOVE"):
            client.move(uids, move_to)
        else:
            client.copy(uids, move_to)
            client.delete_messages(uids)
            client.expunge()


# --- IDLE -----------------------------------------------------------------------------------


class _Watchers:
    """One IDLE connection per mailbox across the workers (held by a lease)."""

    def __init__(self) -> None:
        self.threads: dict[int, threading.Thread] = {}
        # Set while a mailbox's connection is in IDLE (for the operator's status, tests).
        self.idling: dict[int, threading.Event] = {}
        # Mailboxes whose server does not offer IDLE, and since when (looked at again
        # after an hour; polling covers them meanwhile).
        self.without_idle: dict[int, float] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def ensure(self, account_id: int) -> None:
        with self.lock:
            running = self.threads.get(account_id)
            if running is not None and running.is_alive():
                return
            checked = self.without_idle.get(account_id)
            if checked is not None and time.monotonic() - checked < NO_IDLE_RECHECK_SECONDS:
                return
            thread = threading.Thread(
                target=_watch,
                args=(account_id, self.stop),
                name=f"unidesk-imap-idle-{account_id}",
                daemon=True,
            )
            self.threads[account_id] = thread
            thread.start()

    def stop_all(self, timeout: float = 5) -> None:
        self.stop.set()
        with self.lock:
            threads = list(self.threads.values())
            self.threads.clear()
            self.without_idle.clear()
        for thread in threads:
            thread.join(timeout)
        self.stop = threading.Event()


watchers = _Watchers()


def _watch(account_id: int, stop: threading.Event) -> None:
    holder = get_random_string(16)
    try:
        while not stop.is_set():
            close_old_connections()
            account = ChannelAccount.objects.filter(pk=account_id, is_active=True).first()
            if account is None or not account.settings.get("imap_host"):
                return
            config = registry.config_of(account)
            if not flag(config.setting("imap_idle"), True):
                return
            if not leases.acquire(account_id, IDLE_LANE, holder, timedelta(minutes=2)):
                return  # another worker watches this mailbox
            try:
                if not _idle_session(account, config, holder, stop):
                    return
            except (IMAPClientError, OSError, ssl.SSLError) as exc:
                logger.info("email channel %s: IDLE connection ended: %s", account_id, exc)
                stop.wait(30)
    finally:
        leases.release(account_id, IDLE_LANE, holder)
        close_old_connections()


def _idle_session(
    account: ChannelAccount, config: ChannelConfig, holder: str, stop: threading.Event
) -> bool:
    """Watch until stopped or the connection drops; False when the server has no IDLE."""
    folder = config.setting("imap_folder", "INBOX") or "INBOX"
    with connected(config, timeout=90) as client:
        if not client.has_capability("IDLE"):
            watchers.without_idle[account.pk] = time.monotonic()
            return False
        client.select_folder(folder, readonly=True)
        # Mail that arrived before this connection listened is not announced: take it.
        fetch_once(account)
        idling = watchers.idling.setdefault(account.pk, threading.Event())
        while not stop.is_set():
            client.idle()
            idling.set()
            started = time.monotonic()
            try:
                renewed = started
                while not stop.is_set() and time.monotonic() - started < IDLE_RENEW_SECONDS:
                    responses = client.idle_check(timeout=5)
                    if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                        break
                    if time.monotonic() - renewed > 30:
                        leases.acquire(account.pk, IDLE_LANE, holder, timedelta(minutes=2))
                        renewed = time.monotonic()
            finally:
                idling.clear()
                client.idle_done()
            leases.acquire(account.pk, IDLE_LANE, holder, timedelta(minutes=2))
            if not stop.is_set():
                close_old_connections()
                fetch_once(account)
    return True
