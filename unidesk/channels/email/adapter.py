"""Email mailboxes: mail in through IMAP, the SMTP listener, a raw-MIME webhook or the
CLI; replies out over the mailbox's SMTP server.

Every way in stores the raw message first (``webhooks.inbound_store``) and a worker parses
it here (``parse_inbound``) and hands it to ingestion, so an accepted message is never lost
and a repeated one (same Message-ID) creates nothing. Threading: ``In-Reply-To`` /
``References`` against the Message-IDs we stored (the customer's, and ours: an outgoing
message's external id is its Message-ID), then the subject's ``[#1234]`` token when the
sender takes part in that ticket.

Settings (``unidesk channel add email --set name=value``) are described in docs/email.md.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import replace
from email.message import EmailMessage
from typing import ClassVar

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from unidesk.channels.base import (
    ChannelAdapter,
    ChannelConfig,
    DeliveryResult,
    DeliveryUpdate,
    HandshakeResponse,
    IdentityRef,
    InboundAttachment,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    OutboundMessage,
    PermanentError,
    RenderedMessage,
    TransientError,
    VerificationFailed,
    WebhookRequest,
)
from unidesk.channels.email.compose import build_email
from unidesk.channels.email.headers import clean_email
from unidesk.channels.email.parse import (
    MailFile,
    NotAnEmail,
    ParsedMail,
    parse_mail,
    with_forwarded,
)
from unidesk.channels.registry import register
from unidesk.core import crypto
from unidesk.core.text import sanitize_html, text_to_html

SIGNATURE_HEADER = "x-unidesk-signature"
TRUE = frozenset({"1", "true", "yes", "on"})


def flag(value: str, default: bool) -> bool:
    value = (value or "").strip().lower()
    return default if not value else value in TRUE


@register
class EmailAdapter(ChannelAdapter):
    kind = "email"
    settings_names = frozenset(
        {
            "address", "aliases", "from_name", "reply_to", "subject_token",
            "imap_host", "imap_port", "imap_security", "imap_user", "imap_password",
            "imap_folder", "imap_after", "imap_move_to", "imap_idle", "poll_interval",
            "smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password",
            "smtp_timeout", "tls_ca_file",
            "acknowledge", "acknowledge_language", "acknowledge_template_en",
            "acknowledge_template_ru", "autoreply_limit_per_hour",
        }
    )  # fmt: skip
    secret_settings = frozenset({"imap_password", "smtp_password"})
    inbound_secret_use = gettext_lazy(
        "The mail forwarder sends it as “Authorization: Bearer …”, or signs the body with it "
        "(X-Unidesk-Signature)."
    )
    default_settings: ClassVar = {
        "subject_token": "on",
        "imap_security": "ssl",
        "imap_folder": "INBOX",
        "imap_after": "seen",
        "smtp_security": "starttls",
        "acknowledge": "on",
        "acknowledge_language": "auto",
    }
    acknowledges_new_tickets = True
    # A raw message carries its attachments.
    max_webhook_bytes = settings.MAX_ATTACHMENT_BYTES * 2 + 1024 * 1024

    # --- configuration -------------------------------------------------------------------

    @property
    def address(self) -> str:
        return clean_email(self.config.setting("address"))

    def own_addresses(self) -> frozenset[str]:
        """This mailbox's address and its aliases (mail to them is mail to us)."""
        aliases = [
            clean_email(a) for a in self.config.setting("aliases").replace(";", ",").split(",")
        ]
        return frozenset(a for a in [self.address, *aliases] if a)

    # --- inbound -------------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> None:
        """``Authorization: Bearer <channel secret>``, or ``X-Unidesk-Signature: sha256=<hex
        HMAC-SHA256 of the body keyed with the secret>`` for senders that sign."""
        secret = self.config.secret("secret")
        if not secret:
            raise VerificationFailed("This mailbox has no inbound secret.", status=403)
        signature = request.header(SIGNATURE_HEADER).strip()
        if signature:
            expected = "sha256=" + crypto.hmac_sha256_hex(secret, request.body)
            if not crypto.constant_time_equals(signature.lower(), expected):
                raise VerificationFailed("The X-Unidesk-Signature does not match.", status=403)
            return
        authorization = request.header("authorization")
        scheme, _space, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise VerificationFailed(
                "Send the mailbox secret as 'Authorization: Bearer <secret>' or sign the body "
                "in X-Unidesk-Signature."
            )
        if not crypto.constant_time_equals(token.strip(), secret):
            raise VerificationFailed("The mailbox secret does not match.", status=403)

    def answer_now(self, request: WebhookRequest) -> HandshakeResponse | None:
        # Nothing to store: the sender hears so now, rather than a 200 for a delivery
        # that would only ever be marked unreadable.
        if not request.body.strip():
            raise InvalidPayload(
                "The body is empty; send the message as received (message/rfc822).",
                fields={"body": "required"},
            )
        return None

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        try:
            parsed = parse_mail(request.body)
        except NotAnEmail as exc:
            raise InvalidPayload(f"Not an email message: {exc}.") from None
        return self.events_of(parsed)

    def events_of(self, parsed: ParsedMail) -> list[InboundEvent]:
        if parsed.bounce is not None:
            bounce = parsed.bounce
            if not bounce.failed or not bounce.original_message_id:
                return []  # a delay warning, or a bounce of mail that was not ours
            return [
                DeliveryUpdate(
                    external_id=bounce.original_message_id,
                    status="failed",
                    error=_("The message bounced: %(reason)s") % {"reason": bounce.reason},
                )
            ]
        if parsed.sender is None:
            raise InvalidPayload("The message has no From address.")
        own = self.own_addresses()
        text, html = with_forwarded(parsed.text, parsed.html, parsed.forwarded)
        copied = [
            a for a in (*parsed.to, *parsed.cc)
            if a.email not in own and a.email != parsed.sender.email
        ]  # fmt: skip
        return [
            InboundMessage(
                external_id=parsed.message_id,
                identity=IdentityRef("email", parsed.sender.email),
                name=parsed.sender.name,
                subject=parsed.subject,
                text=text,
                html=html,
                references=(*parsed.references, *parsed.in_reply_to),
                sent_at=parsed.sent_at,
                attachments=tuple(self._attachment(f) for f in parsed.files),
                cc=tuple(IdentityRef("email", a.email) for a in copied),
                auto_reply=parsed.automation.auto_reply,
                ticket_number=parsed.ticket_number,
                metadata={"email": _metadata(parsed)},
            )
        ]

    def _attachment(self, file: MailFile) -> InboundAttachment:
        size = len(file.data)
        if size > settings.MAX_ATTACHMENT_BYTES:
            return InboundAttachment(
                filename=file.filename,
                content_type=file.content_type,
                size=size,
                error=_("%(size)s is over the %(limit)s limit for attachments")
                % {
                    "size": filesizeformat(size),
                    "limit": filesizeformat(settings.MAX_ATTACHMENT_BYTES),
                },
            )
        return InboundAttachment(
            filename=file.filename,
            content_type=file.content_type,
            data=file.data,
            content_id=file.content_id,
            inline=file.inline,
            size=size,
        )

    def fetch(self, inbound: InboundMessage) -> InboundMessage:
        """Other mailboxes of this desk are not customers to copy replies to."""
        from unidesk.channels.email.mailboxes import desk_addresses

        if not inbound.cc:
            return inbound
        ours = desk_addresses()
        cc = tuple(ref for ref in inbound.cc if ref.value not in ours)
        return replace(inbound, cc=cc) if cc != inbound.cc else inbound

    # --- outbound ------------------------------------------------------------------------

    def send(self, outbound: OutboundMessage) -> DeliveryResult:
        self._check_sendable(outbound)
        if not self.config.setting("smtp_host"):
            raise PermanentError(_("This mailbox has no SMTP server (smtp_host)."))
        message, message_id = self.compose(outbound)
        recipients = [r.value for r in (outbound.recipient, *outbound.cc, *outbound.bcc) if r]
        self._deliver(message, self.address, recipients)
        return DeliveryResult(external_id=message_id)

    def render(self, outbound: OutboundMessage) -> RenderedMessage:
        message, message_id = self.compose(outbound)
        return RenderedMessage(suffix=".eml", content=bytes(message), external_id=message_id)

    def _check_sendable(self, outbound: OutboundMessage) -> None:
        if outbound.recipient is None or outbound.recipient.kind != "email":
            raise PermanentError(_("This ticket has no email address to reply to."))
        if not self.address:
            raise PermanentError(_("This mailbox has no address setting."))

    def compose(self, outbound: OutboundMessage) -> tuple[EmailMessage, str]:
        """The letter of one reply and its Message-ID (without brackets)."""
        self._check_sendable(outbound)
        address = self.address
        return build_email(
            outbound,
            address=address,
            sender_name=outbound.author_name
            or self.config.setting("from_name")
            or self.config.name,
            # Answers come back to the mailbox even from clients that prefer the sender's
            # address in some other header.
            reply_to=clean_email(self.config.setting("reply_to")) or address,
            subject_token=flag(self.config.setting("subject_token"), True),
        )

    def _deliver(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        host = self.config.setting("smtp_host")
        try:
            with self.smtp() as smtp:
                refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(
                _("The SMTP server %(host)s refused the login: %(reason)s")
                % {"host": host, "reason": _smtp_reason(exc.smtp_code, exc.smtp_error)}
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc.recipients) from None
        except smtplib.SMTPSenderRefused as exc:
            raise _by_code(
                exc.smtp_code,
                _("The SMTP server refused the sender %(sender)s: %(reason)s")
                % {"sender": sender, "reason": _smtp_reason(exc.smtp_code, exc.smtp_error)},
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(
                exc.smtp_code,
                _("The SMTP server answered %(reason)s")
                % {"reason": _smtp_reason(exc.smtp_code, exc.smtp_error)},
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentError(
                _("The SMTP server %(host)s does not offer STARTTLS; set smtp_security.")
                % {"host": host}
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(
                _("The TLS certificate of %(host)s is not trusted: %(reason)s")
                % {"host": host, "reason": exc.verify_message or exc}
            ) from None
        except TimeoutError:
            raise TransientError(
                _("The SMTP server %(host)s did not answer in time.") % {"host": host}
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(
                _("Could not talk to the SMTP server %(host)s: %(reason)s")
                % {"host": host, "reason": exc or type(exc).__name__}
            ) from None
        main = recipients[0]
        if main in refused:
            code, reason = refused[main]
            raise _refused({main: (code, reason)})

    def smtp(self) -> smtplib.SMTP:
        """A connected, authenticated SMTP session for this mailbox."""
        host = self.config.setting("smtp_host")
        security = self.config.setting("smtp_security", "starttls").lower()
        timeout = float(
            self.config.setting("smtp_timeout") or settings.UNIDESK["DELIVERY_TIMEOUT_SECONDS"]
        )
        context = tls_context(self.config)
        default_port = {"ssl": 465, "starttls": 587}.get(security, 25)
        port = int(self.config.setting("smtp_port") or default_port)
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls(context=context)
        user = self.config.setting("smtp_user")
        if user:
            smtp.login(user, self.config.secret("smtp_password"))
        return smtp

    def connect(self) -> str:
        """Check that the SMTP (and IMAP, when set) logins work."""
        from unidesk.channels.email.imap import ImapSetupError, check_login

        done = []
        if self.config.setting("smtp_host"):
            try:
                with self.smtp() as smtp:
                    smtp.noop()
            except (smtplib.SMTPException, OSError) as exc:
                raise PermanentError(f"SMTP: {exc}") from None
            done.append(f"SMTP login to {self.config.setting('smtp_host')} works")
        if self.config.setting("imap_host"):
            try:
                done.append(check_login(self.config))
            except ImapSetupError as exc:
                raise PermanentError(str(exc)) from None
        return "; ".join(done) or "Nothing to check: set smtp_host and imap_host."


def tls_context(config: ChannelConfig) -> ssl.SSLContext:
    """Certificates are always checked; ``tls_ca_file`` names the authority of servers
    with a certificate of their own (an Exchange with the company's CA)."""
    return ssl.create_default_context(cafile=config.setting("tls_ca_file") or None)


def _metadata(parsed: ParsedMail) -> dict[str, object]:
    data: dict[str, object] = {
        "message_id": parsed.message_id,
        "from": parsed.sender.email if parsed.sender else "",
        "to": [a.email for a in parsed.to],
        "cc": [a.email for a in parsed.cc],
    }
    if parsed.reply_to:
        data["reply_to"] = [a.email for a in parsed.reply_to]
    if parsed.automation.reason:
        data["automatic"] = parsed.automation.reason
    if parsed.split is not None:
        split = parsed.split
        as_html = bool(parsed.html)
        data["collapsed"] = {
            "kind": split.kind,
            "reply": sanitize_html(split.reply if as_html else text_to_html(split.reply)),
            "hidden": sanitize_html(split.hidden if as_html else text_to_html(split.hidden)),
        }
    if parsed.defects:
        data["defects"] = list(parsed.defects)
    return data


def _smtp_reason(code: int, error: bytes | str) -> str:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"{code} {' '.join(text.split())}".strip()


def _by_code(code: int, message: str) -> TransientError | PermanentError:
    return PermanentError(message) if 500 <= code < 600 else TransientError(message)


def _refused(recipients: dict[str, tuple[int, bytes]]) -> TransientError | PermanentError:
    parts = [
        f"{addr} ({_smtp_reason(code, reason)})" for addr, (code, reason) in recipients.items()
    ]
    codes = [code for code, _reason in recipients.values()]
    message = _("The SMTP server refused the recipient %(recipients)s") % {
        "recipients": ", ".join(parts)
    }
    return (
        PermanentError(message) if all(500 <= c < 600 for c in codes) else TransientError(message)
    )
