"""IMAP mailboxes against a real Dovecot on loopback: new mail becomes tickets, the cursor
(UIDVALIDITY and last UID) survives restarts, processed mail is flagged, moved or left, and
IDLE brings mail in without waiting for the next poll."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.channels.email.support import customer_mail, mailbox
from tests.support.dovecot import Dovecot, available, running_dovecot
from unidesk.channels import leases
from unidesk.channels.email import imap
from unidesk.channels.email.adapter import EmailAdapter
from unidesk.channels.models import ChannelLease, InboundRecord
from unidesk.tickets.models import Message, Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not available(), reason="needs Dovecot: apt-get install dovecot-imapd"),
]


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with (
        tempfile.TemporaryDirectory(prefix="unidesk-dovecot-") as root,
        running_dovecot(Path(root)) as server,
    ):
        yield server


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    return dovecot.new_user()


@pytest.fixture(autouse=True)
def _no_watchers_left() -> Iterator[None]:
    yield
    imap.watchers.stop_all()


def flags(dovecot: Dovecot, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()}


def test_new_mail_becomes_tickets_once_and_is_flagged_seen(dovecot, user, run_tasks) -> None:
    account = mailbox(**dovecot.settings(user), imap_idle="off")
    dovecot.append(user, customer_mail(message_id="one@client.example"))
    dovecot.append(user, customer_mail(sender="petr@client.example", name="Petr",
                                       message_id="two@client.example"))  # fmt: skip

    assert imap.fetch_once(account) == 2
    run_tasks()

    assert Ticket.objects.count() == 2
    assert set(Message.objects.filter(direction="in").values_list("external_id", flat=True)) == {
        "one@client.example", "two@client.example",
    }  # fmt: skip
    assert all(b"\\Seen" in f for f in flags(dovecot, user).values())
    validity, uid = leases.cursor(account.pk, imap.LANE).split(":")
    assert int(uid) == 2
    assert int(validity) > 0

    # Polling again (a restart, a second worker) takes nothing twice.
    assert imap.fetch_once(account) == 0
    dovecot.append(user, customer_mail(message_id="three@client.example",
                                       subject="Another question"))  # fmt: skip
    assert imap.fetch_once(account) == 1
    run_tasks()
    assert Message.objects.filter(direction="in").count() == 3
    assert InboundRecord.objects.filter(delivery_id=f"imap:{validity}:3").exists()


def test_mail_left_unread_before_the_first_connection_is_taken(dovecot, user, run_tasks) -> None:
    dovecot.append(user, customer_mail(message_id="old-read@client.example"))
    with dovecot.client(user) as client:
        client.select_folder("INBOX")
        client.add_flags([1], [b"\\Seen"])
    dovecot.append(user, customer_mail(message_id="unread@client.example"))
    account = mailbox(**dovecot.settings(user), imap_idle="off")

    assert imap.fetch_once(account) == 1
    run_tasks()
    assert Message.objects.get(direction="in").external_id == "unread@client.example"


def test_leave_mode_does_not_touch_the_mailbox(dovecot, user, run_tasks) -> None:
    account = mailbox(**dovecot.settings(user), imap_after="leave", imap_idle="off")
    dovecot.append(user, customer_mail())

    imap.fetch_once(account)
    run_tasks()

    assert Ticket.objects.count() == 1
    assert flags(dovecot, user) == {1: ()}
    assert imap.fetch_once(account) == 0  # the cursor, not the flags, says what was taken


def test_move_mode_moves_processed_mail_to_a_folder(dovecot, user, run_tasks) -> None:
    account = mailbox(**dovecot.settings(user), imap_after="move", imap_move_to="Processed",
                      imap_idle="off")  # fmt: skip
    dovecot.append(user, customer_mail())

    imap.fetch_once(account)
    run_tasks()

    assert Ticket.objects.count() == 1
    assert flags(dovecot, user) == {}
    assert len(flags(dovecot, user, "Processed")) == 1


def test_a_renumbered_folder_is_read_again_without_duplicates(dovecot, user, run_tasks) -> None:
    account = mailbox(**dovecot.settings(user), imap_after="leave", imap_idle="off")
    dovecot.append(user, customer_mail())
    imap.fetch_once(account)
    run_tasks()
    # The server was rebuilt: the stored UIDVALIDITY no longer matches.
    ChannelLease.objects.filter(channel_account=account, name=imap.LANE).update(cursor="1:99")

    imap.fetch_once(account)
    run_tasks()

    assert Message.objects.filter(direction="in").count() == 1
    validity = leases.cursor(account.pk, imap.LANE).split(":")[0]
    assert validity != "1"
    # Taken again under another UIDVALIDITY, a message is still recognised by its
    # Message-ID.
    ChannelLease.objects.filter(channel_account=account, name=imap.LANE).update(cursor="1:99")
    InboundRecord.objects.all().delete()
    assert imap.fetch_once(account) == 1
    run_tasks()
    assert Message.objects.filter(direction="in").count() == 1


def test_a_wrong_password_is_recorded_not_raised(dovecot, user) -> None:
    account = mailbox(**{**dovecot.settings(user), "imap_password": "wrong"}, imap_idle="off")

    assert imap.fetch_once(account) == 0

    lease = ChannelLease.objects.get(channel_account=account, name=imap.LANE)
    assert "refused the login" in lease.last_error
    assert "wrong" not in lease.last_error


def test_the_periodic_job_polls_when_due_and_idle_brings_mail_at_once(
    dovecot, user, run_tasks
) -> None:
    account = mailbox(**dovecot.settings(user), poll_interval="3600")
    dovecot.append(user, customer_mail(message_id="before@client.example"))

    assert imap.fetch_due() == 1  # first poll; starts the IDLE watcher too
    assert imap.fetch_due() == 0  # not due again for an hour
    idling = imap.watchers.idling.setdefault(account.pk, threading.Event())
    assert idling.wait(30)
    dovecot.append(user, customer_mail(message_id="during-idle@client.example"))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if InboundRecord.objects.filter(channel_account=account).count() == 2:
            break
        time.sleep(0.1)
    run_tasks()
    assert set(Message.objects.filter(direction="in").values_list("external_id", flat=True)) == {
        "before@client.example", "during-idle@client.example",
    }  # fmt: skip


def test_a_server_without_idle_is_polled(run_tasks) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="unidesk-dovecot-") as root,
        running_dovecot(Path(root), idle=False) as plain,
    ):
        user = plain.new_user()
        account = mailbox(**plain.settings(user), poll_interval="5")
        plain.append(user, customer_mail(message_id="polled-1@client.example"))

        assert imap.fetch_due() == 1
        watcher = imap.watchers.threads[account.pk]
        watcher.join(timeout=30)
        assert not watcher.is_alive()  # nothing to watch: the server has no IDLE
        assert account.pk in imap.watchers.without_idle
        imap.fetch_due()
        assert imap.watchers.threads[account.pk] is watcher  # not started again

        plain.append(user, customer_mail(message_id="polled-2@client.example"))
        ChannelLease.objects.filter(channel_account=account, name=imap.LANE).update(
            updated_at=timezone.now() - timedelta(seconds=10)
        )
        assert imap.fetch_due() == 1  # the poll interval passed
    run_tasks()
    assert Message.objects.filter(direction="in").count() == 2


def test_a_message_too_large_to_take_is_announced_not_lost(
    dovecot, user, run_tasks, monkeypatch
) -> None:
    monkeypatch.setattr(EmailAdapter, "max_webhook_bytes", 4096)
    account = mailbox(**dovecot.settings(user), imap_idle="off")
    dovecot.append(user, customer_mail(message_id="huge@client.example", subject="Scans",
                                       text="x" * 20_000))  # fmt: skip

    assert imap.fetch_once(account) == 1
    run_tasks()

    message = Message.objects.get(direction="in")
    assert message.external_id == "huge@client.example"
    assert message.ticket.subject == "Scans"
    assert "more than unidesk takes" in message.text
    assert "left in the mailbox" in message.text
