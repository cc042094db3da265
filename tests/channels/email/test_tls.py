"""TLS with real certificate checks: IMAP over SSL and STARTTLS against Dovecot, SMTP with
STARTTLS and implicit TLS against aiosmtpd, trusting the servers' authority through
``tls_ca_file``; a certificate nobody vouches for is refused with a readable reason."""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import factories
from tests.channels.email.support import customer_mail, mailbox, post_raw
from tests.support.dovecot import Dovecot, available, running_dovecot
from tests.support.smtp import smtp_sink
from tests.support.tls import Certificates, make_certificates
from unidesk.channels.email import imap
from unidesk.channels.models import ChannelLease
from unidesk.channels.services import reply_send
from unidesk.tickets.models import Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not available(), reason="needs Dovecot: apt-get install dovecot-imapd"),
]


@pytest.fixture(scope="module")
def certificates() -> Iterator[Certificates]:
    with tempfile.TemporaryDirectory(prefix="unidesk-tls-") as root:
        yield make_certificates(Path(root))


@pytest.fixture(scope="module")
def dovecot(certificates: Certificates) -> Iterator[Dovecot]:
    with (
        tempfile.TemporaryDirectory(prefix="unidesk-dovecot-") as root,
        running_dovecot(Path(root), certificates) as server,
    ):
        yield server


def server_context(certificates: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    return context


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_over_tls_with_the_servers_authority(dovecot, certificates, security) -> None:
    user = dovecot.new_user()
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    account = mailbox(**{**dovecot.settings(user), "imap_security": security,
                         "imap_port": str(port)},
                      tls_ca_file=str(certificates.ca_file), imap_idle="off")  # fmt: skip
    dovecot.append(user, customer_mail())

    assert imap.fetch_once(account) == 1


def test_an_untrusted_imap_certificate_is_refused_with_the_reason(dovecot) -> None:
    user = dovecot.new_user()
    account = mailbox(**{**dovecot.settings(user), "imap_security": "ssl",
                         "imap_port": str(dovecot.ssl_port)}, imap_idle="off")  # fmt: skip
    dovecot.append(user, customer_mail())

    assert imap.fetch_once(account) == 0
    lease = ChannelLease.objects.get(channel_account=account, name=imap.LANE)
    assert "certificate verify failed" in lease.last_error


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_smtp_over_tls_with_the_servers_authority(certificates, run_tasks, mode) -> None:
    context = server_context(certificates)
    tls = {"starttls": context} if mode == "starttls" else {"implicit_tls": context}
    with smtp_sink(**tls) as sink:
        account = mailbox(**{**sink.settings, "smtp_security": mode},
                          tls_ca_file=str(certificates.ca_file), acknowledge="off")  # fmt: skip
        post_raw(account, customer_mail())
        run_tasks()
        agent = factories.agent(role="agent", groups=["Support"])
        reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Over TLS.")
        run_tasks()
        reply.refresh_from_db()
        assert reply.delivery_status == "sent"
        assert len(sink.received) == 1


def test_an_untrusted_smtp_certificate_fails_at_once(certificates, run_tasks) -> None:
    with smtp_sink(starttls=server_context(certificates)) as sink:
        account = mailbox(**{**sink.settings, "smtp_security": "starttls"}, acknowledge="off")
        post_raw(account, customer_mail())
        run_tasks()
        agent = factories.agent(role="agent", groups=["Support"])
        reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Over TLS.")
        run_tasks()

    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "TLS certificate of 127.0.0.1 is not trusted" in reply.delivery_error
    assert sink.received == []
