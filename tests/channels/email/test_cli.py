"""The operator's commands for mailboxes: connecting one keeps its passwords out of sight;
`mail ingest` reads files, directories and standard input and says what became of each."""

from __future__ import annotations

import io
import json
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.channels.email.support import ADDRESS, customer_mail
from unidesk.channels.models import ChannelAccount
from unidesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def add_mailbox(*settings: str) -> dict:
    out = StringIO()
    sets = [arg for pair in settings for arg in ("--set", pair)]
    call_command("channel", "add", "email", "--name", "Support", "--group", "Support", *sets,
                 stdout=out)  # fmt: skip
    return json.loads(out.getvalue())


def test_passwords_are_encrypted_and_never_listed() -> None:
    added = add_mailbox(
        f"address={ADDRESS}", "imap_host=imap.example.com",
        "imap_password=imap-very-secret", "smtp_password=smtp-very-secret",
    )  # fmt: skip
    account = ChannelAccount.objects.get(pk=added["id"])

    assert "imap_password" not in account.settings
    assert "imap-very-secret" not in account.secrets_encrypted
    assert account.secrets["imap_password"] == "imap-very-secret"
    assert account.settings["imap_after"] == "seen"  # defaults filled in
    out = StringIO()
    call_command("channel", "list", stdout=out)
    assert "imap-very-secret" not in out.getvalue()
    assert "smtp-very-secret" not in out.getvalue()


def test_unknown_settings_are_refused_with_the_known_ones() -> None:
    with pytest.raises(CommandError, match=r"imap_hots.*known:.*imap_host"):
        add_mailbox(f"address={ADDRESS}", "imap_hots=typo.example.com")


def test_mail_ingest_reads_standard_input_by_name(monkeypatch, run_tasks) -> None:
    add_mailbox(f"address={ADDRESS}", "acknowledge=off")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(customer_mail())))
    out = StringIO()
    call_command("mail", "ingest", "-", "--mailbox", "Support", stdout=out)

    assert json.loads(out.getvalue()) == {"file": "-", "state": "done", "duplicate": False}
    assert Ticket.objects.get().requester_identity.value == "olga@client.example"


def test_mail_ingest_fails_loudly_for_what_is_not_mail(tmp_path) -> None:
    add_mailbox(f"address={ADDRESS}")
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"just some words, no headers")
    good = tmp_path / "good.eml"
    good.write_bytes(customer_mail())
    out = StringIO()
    with pytest.raises(CommandError, match="1 message"):
        call_command("mail", "ingest", str(junk), str(good), "--mailbox", "Support", stdout=out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["state"] for line in lines] == ["unparseable", "done"]
    assert "Not an email message" in lines[0]["error"]
    with pytest.raises(CommandError, match="no such file"):
        call_command("mail", "ingest", str(tmp_path / "missing.eml"), "--mailbox", "Support")


def test_mail_ingest_asks_for_the_key_when_two_mailboxes_share_the_name(tmp_path) -> None:
    add_mailbox(f"address={ADDRESS}")
    call_command("channel", "add", "email", "--name", "Support", "--set", "address=b@shop.example",
                 stdout=StringIO())  # fmt: skip
    letter = tmp_path / "letter.eml"
    letter.write_bytes(customer_mail())

    with pytest.raises(CommandError, match="2 email channels are named 'Support'; give the key"):
        call_command("mail", "ingest", str(letter), "--mailbox", "Support", stdout=StringIO())
    assert not Ticket.objects.exists()
