"""Writes for the chat widget: visitors, their messages and files, the pre-chat form,
email verification, and read marks both ways.

Messages go through ``channels.ingest`` like every channel's, under an external id made of
the visitor's id and the id the widget gave the message, so a message the widget sends
again after a reconnect is stored once, and one visitor can never reach another's.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from unidesk.channels.base import IdentityRef, InboundAttachment, InboundMessage
from unidesk.channels.ingest import IngestResult, ingest
from unidesk.channels.models import ChannelAccount, DeliveryState
from unidesk.channels.webchat import config as widget_config
from unidesk.channels.webchat.identity import (
    SiteIdentity,
    new_public_id,
    public_id_from,
    token_for,
    verified_identity,
)
from unidesk.channels.webchat.models import EmailCode, Visitor
from unidesk.core import clock, crypto, ratelimit, realtime, tasks
from unidesk.core.actor import Actor
from unidesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from unidesk.core.text import one_line, strip_control_characters
from unidesk.customers.identities import normalize_identity
from unidesk.customers.models import Identity, IdentityKind
from unidesk.customers.services import customer_for_identity, identity_add
from unidesk.tickets.models import DeliveryStatus, Direction, Message, Ticket
from unidesk.tickets.services import customer_merge, message_set_delivery

logger = logging.getLogger("unidesk.webchat")

MAX_TEXT = 10_000
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CODE_LIFETIME = timedelta(minutes=30)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3


@dataclass(frozen=True)
class Session:
    """What one connection (or upload) knows about its visitor, checked once."""

    channel_id: int
    channel_key: str
    public_id: str
    thread_key: str
    identity_kind: str
    identity_value: str
    signed: bool = False
    # A visitor row exists (the visitor has written before): there is history to read.
    stored: bool = False
    site: SiteIdentity | None = None
    language: str = "en"
    page_url: str = ""
    user_agent: str = ""
    ip: str = ""

    @property
    def token(self) -> str:
        return token_for(self.channel_key, self.public_id)

    @property
    def group(self) -> str:
        return realtime.visitor_group(self.channel_id, self.thread_key)


def _limits() -> dict[str, ratelimit.Limit]:
    conf = settings.UNIDESK
    return {
        "burst": ratelimit.Limit("wc-burst", conf["WEBCHAT_VISITOR_BURST_PER_10S"], 10),
        "visitor": ratelimit.Limit("wc-visitor", conf["WEBCHAT_VISITOR_MESSAGES_PER_MINUTE"], 60),
        "ip": ratelimit.Limit("wc-ip", conf["WEBCHAT_IP_MESSAGES_PER_MINUTE"], 60),
        "connect": ratelimit.Limit("wc-connect", conf["WEBCHAT_IP_CONNECTIONS_PER_MINUTE"], 60),
        "uploads": ratelimit.Limit("wc-upload", conf["WEBCHAT_UPLOADS_PER_HOUR"], 3600),
    }


def connection_limit_applies() -> bool:
    return bool(settings.UNIDESK["WEBCHAT_IP_CONNECTIONS_PER_MINUTE"] > 0)


def session_needs_database(account: ChannelAccount, *, token: object, identity: object) -> bool:
    """Whether starting this session reads anything: a returning visitor (their row), a
    signed identity (the channel secret). A new anonymous visitor needs nothing."""
    return bool(token) or identity not in (None, "", {})


def connection_allowed(*, ip: str) -> None:
    """Count a new connection from ``ip``; ``RateLimited`` when there are too many."""
    if ip:
        ratelimit.check(
            (ip, _limits()["connect"]),
            message=_("Too many chats from your network. Please wait %(seconds)s s."),
        )


def language_of(raw: object) -> str:
    text = str(raw or "").strip().lower()[:8]
    return "ru" if text.startswith("ru") else "en"


# --- who is there ---------------------------------------------------------------------------


def session_start(
    *,
    account: ChannelAccount,
    token: object,
    identity: object = None,
    language: object = "",
    page_url: object = "",
    user_agent: str = "",
    ip: str = "",
) -> Session:
    """Identify a visitor from the widget's hello: their token (a new one when it is
    missing, forged, or belongs to someone else now) and the identity their site signed.
    Refuses a forged identity, and anonymous visitors where the channel requires one."""
    conf = widget_config.parse(account.key, account.settings)
    site = None
    if identity not in (None, "", {}):
        site = verified_identity(identity, secret=account.secrets.get("secret", ""))
    elif conf.identity_required:
        raise PermissionDenied(
            _("This chat is for signed-in customers of the site."), code="identity_required"
        )
    public_id = public_id_from(token, account.key)
    stored = False
    if public_id is not None:
        row = Visitor.objects.filter(public_id=public_id).values("thread_key").first()
        wanted = site.thread_key(conf.namespace) if site else f"v:{public_id}"
        stored = row is not None
        if row is not None and row["thread_key"] != wanted:
            # Another person in the same browser (signed out, or someone else signed in):
            # they must not read the earlier conversation.
            public_id, stored = None, False
    public_id = public_id or new_public_id()
    if site is not None:
        kind, value = site.primary(conf.namespace)
        thread_key = site.thread_key(conf.namespace)
    else:
        kind, value = IdentityKind.WEBCHAT, f"visitor-{public_id}"
        thread_key = f"v:{public_id}"
    return Session(
        channel_id=account.pk,
        channel_key=account.key,
        public_id=public_id,
        thread_key=thread_key[:255],
        identity_kind=kind,
        identity_value=value,
        signed=site is not None,
        stored=stored,
        site=site,
        language=language_of(language),
        page_url=_page_url(page_url),
        user_agent=one_line(user_agent, 300),
        ip=ip,
    )


def public_id_matches(session: Session, token: object) -> bool:
    """Whether ``token`` is the session's own (not replaced by a new one)."""
    return public_id_from(token, session.channel_key) == session.public_id


def _page_url(raw: object) -> str:
    """The page the widget is on, if it is a web address (agents get it as a link)."""
    url = one_line(str(raw or ""), 500)
    return url if url.lower().startswith(("https://", "http://")) else ""


def visitor_of(session: Session) -> Visitor | None:
    return Visitor.objects.filter(public_id=session.public_id).first()


def _visitor_for_writing(session: Session) -> Visitor:
    """The session's visitor row, written on first use (with what the site told us)."""
    now = clock.now()
    visitor, created = Visitor.objects.get_or_create(
        public_id=session.public_id,
        defaults={
            "channel_id": session.channel_id,
            "thread_key": session.thread_key,
            "identity_kind": session.identity_kind,
            "identity_value": session.identity_value,
            "signed": session.signed,
            "name": session.site.name if session.site else "",
            "email": session.site.email if session.site else "",
            "email_verified_at": now if session.site and session.site.email else None,
            "language": session.language,
            "page_url": session.page_url,
            "user_agent": session.user_agent,
            "ip": session.ip or None,
            "created_at": now,
            "last_seen_at": now,
        },
    )
    if created and session.site is not None:
        _link_signed_identity(session)
    return visitor


def visitor_returned(session: Session) -> None:
    """A stored visitor connected again: remember when and on which page (at most once
    a minute, so a flapping connection does not write on every reconnect)."""
    now = clock.now()
    changes: dict[str, object] = {"last_seen_at": now}
    if session.page_url:
        changes["page_url"] = session.page_url
    Visitor.objects.filter(
        public_id=session.public_id, last_seen_at__lt=now - timedelta(minutes=1)
    ).update(**changes)


def _link_signed_identity(session: Session) -> None:
    """A site vouched for both a user id and an email: the two identities are one
    customer. When both are already known as different customers they are left apart for
    an agent to merge (a signature is no reason to join two histories unseen)."""
    site = session.site
    if site is None or not (site.user_id and site.email):
        return
    own = Identity.objects.filter(kind=session.identity_kind, value=session.identity_value).first()
    email = Identity.objects.filter(kind=IdentityKind.EMAIL, value=site.email).first()
    try:
        if own is None and email is not None:
            identity_add(
                customer=email.customer,
                kind=session.identity_kind,
                value=session.identity_value,
                verified=True,
            )
        elif email is None:
            customer = (
                own.customer
                if own is not None
                else customer_for_identity(
                    kind=session.identity_kind, value=session.identity_value, name=site.name
                ).customer
            )
            identity_add(
                customer=customer, kind=IdentityKind.EMAIL, value=site.email, verified=True
            )
    except Conflict:
        # Another connection of the same user linked them a moment ago.
        logger.info("signed identity of visitor %s was linked concurrently", session.public_id)


# --- messages -------------------------------------------------------------------------------


def _check_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise ValidationFailed(
            _("The message has no usable id."), fields={"id": "invalid"}, code="bad_id"
        )
    return client_id


def _clean_text(text: object, *, required: bool) -> str:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValidationFailed(_("The message is not text."), code="bad_text")
    cleaned = strip_control_characters(text).replace("\r\n", "\n").strip()
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed(
            _("The message is longer than %(limit)s characters.") % {"limit": MAX_TEXT},
            code="too_long",
        )
    if required and not cleaned:
        raise ValidationFailed(_("The message is empty."), code="empty")
    return cleaned


def _stored(session: Session, external_id: str) -> Message | None:
    return (
        Message.objects.select_related("ticket")
        .filter(channel_account_id=session.channel_id, external_id=external_id)
        .first()
    )


def _check_prechat(account: ChannelAccount, visitor: Visitor | None, session: Session) -> None:
    conf = widget_config.parse(account.key, account.settings)
    if conf.prechat != "required" or session.signed:
        return
    if visitor is None or not (visitor.name or visitor.email):
        raise ValidationFailed(_("Please introduce yourself first."), code="prechat_required")


def message_receive(
    *,
    account: ChannelAccount,
    session: Session,
    client_id: object,
    text: object,
    button: object = None,
    attachment: InboundAttachment | None = None,
    metadata: dict[str, object] | None = None,
    source: str = "",
) -> IngestResult:
    """Store one message from the visitor (idempotent on ``client_id``) and show it in
    the visitor's other tabs. A repeat of a stored message is acknowledged even when the
    visitor is over a rate limit, so a resend after a reconnect never loses the ack."""
    client_id = _check_client_id(client_id)
    external_id = f"{session.public_id}:{client_id}"
    existing = _stored(session, external_id)
    if existing is not None:
        return IngestResult(message=existing, ticket=existing.ticket, duplicate=True)
    cleaned = _clean_text(text, required=attachment is None)
    extra: dict[str, object] = dict(metadata or {})
    if button is not None:
        if not isinstance(button, str) or not 0 < len(button) <= 200:
            raise ValidationFailed(_("The button is not understood."), code="bad_button")
        extra["button"] = button
    limits = _limits()
    counted = [(session.public_id, limits["burst"]), (session.public_id, limits["visitor"])]
    if session.ip:
        counted.append((session.ip, limits["ip"]))
    if attachment is not None:
        counted.append((session.public_id, limits["uploads"]))
    ratelimit.check(*counted)
    name = ""
    if not session.stored:
        # The first thing this visitor keeps: check the form, write their row. Later
        # messages skip both (the customer already has the name they gave).
        _check_prechat(account, visitor_of(session), session)
        name = _visitor_for_writing(session).name
    extra["webchat"] = {"language": session.language, "page": session.page_url}
    inbound = InboundMessage(
        external_id=external_id,
        identity=IdentityRef(session.identity_kind, session.identity_value),
        text=cleaned,
        name=name,
        thread_key=session.thread_key,
        attachments=(attachment,) if attachment is not None else (),
        metadata=extra,
    )
    result = ingest(account, inbound)
    if not result.duplicate:
        transaction.on_commit(lambda: _echo_to_tabs(session, result.message.pk, source))
    return result


def _echo_to_tabs(session: Session, message_id: int, source: str) -> None:
    """Show the message in the visitor's other tabs (``source``, the connection that
    sent it, has it from the acknowledgement)."""
    realtime.push(
        session.group, {"type": "chat.message", "message_id": message_id, "except": source}
    )


def upload_receive(
    *,
    account: ChannelAccount,
    session: Session,
    client_id: object,
    text: object,
    filename: str,
    content_type: str,
    data: bytes,
) -> IngestResult:
    """A file (with an optional caption) from the visitor, within the channel's limits."""
    conf = widget_config.parse(account.key, account.settings)
    if not conf.uploads:
        raise PermissionDenied(_("This chat does not accept files."), code="uploads_off")
    if len(data) > conf.max_upload_bytes:
        raise ValidationFailed(
            _("The file is larger than %(mb)s MB.") % {"mb": conf.max_upload_bytes // 2**20},
            code="file_too_large",
        )
    if not data:
        raise ValidationFailed(_("The file is empty."), code="file_empty")
    attachment = InboundAttachment(
        filename=filename or "file", content_type=content_type, data=data, size=len(data)
    )
    return message_receive(
        account=account, session=session, client_id=client_id, text=text, attachment=attachment
    )


# --- the pre-chat form, and proving an email address ------------------------------------------


def _clean_email(raw: object) -> str:
    if raw in (None, ""):
        return ""
    if not isinstance(raw, str):
        raise ValidationFailed(_("This is not an email address."), code="bad_email")
    try:
        return normalize_identity(IdentityKind.EMAIL, raw)
    except ValidationFailed:
        raise ValidationFailed(
            _("This is not an email address."), fields={"email": "invalid"}, code="bad_email"
        ) from None


@dataclass(frozen=True)
class Profile:
    name: str
    email: str
    verified: bool
    code_sent: bool = False


def profile_of(visitor: Visitor | None, session: Session) -> Profile:
    if visitor is None:
        site = session.site
        return Profile(
            name=site.name if site else "",
            email=site.email if site else "",
            verified=bool(site and site.email),
        )
    return Profile(name=visitor.name, email=visitor.email, verified=visitor.email_verified)


def prechat_submit(*, session: Session, name: object, email: object) -> Profile:
    """The visitor introduces themselves. A new email is kept apart from any customer
    until the visitor proves it with the code sent to it."""
    clean_name = one_line(str(name or ""), 200) if isinstance(name, str | type(None)) else ""
    clean_email = _clean_email(email)
    if not clean_name and not clean_email:
        raise ValidationFailed(_("Please give your name or email."), code="empty")
    with transaction.atomic():
        visitor = _visitor_for_writing(session)
        fields = []
        if clean_name and clean_name != visitor.name:
            visitor.name = clean_name
            fields.append("name")
        changed_email = bool(clean_email) and clean_email != visitor.email
        if changed_email and not session.signed:
            visitor.email = clean_email
            visitor.email_verified_at = None
            fields += ["email", "email_verified_at"]
        if fields:
            visitor.save(update_fields=fields)
        if clean_name:
            _name_customer(session, clean_name)
    code_sent = False
    if changed_email and not session.signed:
        code_sent = email_code_send(session=session)
    return replace(profile_of(visitor, session), code_sent=code_sent)


def _name_customer(session: Session, name: str) -> None:
    """The visitor introduced themselves: their customer (made now if they have not
    written yet) carries the name."""
    identified = customer_for_identity(
        kind=session.identity_kind, value=session.identity_value, name=name
    )
    customer = identified.customer
    if not customer.name:
        customer.name = name
        customer.save(update_fields=["name"])


def _code_hash(visitor: Visitor, code: str) -> str:
    return crypto.hmac_sha256_hex(settings.SECRET_KEY, f"{visitor.public_id}:{code}".encode())


def email_code_send(*, session: Session) -> bool:
    """Send a one-time code to the visitor's (unverified) email. Returns False when the
    visitor has asked for too many codes lately."""
    visitor = visitor_of(session)
    if visitor is None or not visitor.email or visitor.email_verified:
        return False
    now = clock.now()
    recent = EmailCode.objects.filter(
        visitor=visitor, created_at__gte=now - timedelta(hours=1)
    ).count()
    if recent >= CODES_PER_HOUR:
        return False
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        EmailCode.objects.create(
            visitor=visitor,
            email=visitor.email,
            code_hash=_code_hash(visitor, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        tasks.enqueue(send_email_code, visitor.pk, visitor.email, code, session.language)
    return True


@task()
def send_email_code(visitor_id: int, email: str, code: str, language: str) -> None:
    """Mail the code (outside any transaction: a slow mail server must not hold rows)."""
    with translation.override(language):
        subject = _("Your code: %(code)s") % {"code": code}
        body = "\n\n".join(
            [
                _("Someone (we hope you) typed this address into the chat on our site."),
                _("Your code: %(code)s") % {"code": code},
                _(
                    "Enter it in the chat to see your earlier conversations with us there. "
                    "It works for 30 minutes. If it was not you, ignore this message."
                ),
            ]
        )
    send_mail(subject, body, None, [email], fail_silently=False)
    logger.info("sent an email code to visitor %s", visitor_id)


def email_code_verify(*, session: Session, code: object) -> Profile:
    """Check the code; on success the visitor's conversation joins the customer known by
    that email (or the email becomes the visitor's, verified)."""
    visitor = visitor_of(session)
    if visitor is None or not visitor.email:
        raise NotFound(_("There is no email to confirm."), code="no_email")
    if visitor.email_verified:
        return profile_of(visitor, session)
    typed = "".join(ch for ch in str(code or "") if ch.isdigit())[:6]
    now = clock.now()
    with transaction.atomic():
        pending = (
            EmailCode.objects.select_for_update()
            .filter(visitor=visitor, email=visitor.email, used_at=None, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        right = pending is not None and crypto.constant_time_equals(
            _code_hash(visitor, typed), pending.code_hash
        )
        if pending is not None and not right:
            # Counted in this transaction, which commits: a refusal must not undo it.
            EmailCode.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
    if pending is None or pending.attempts >= CODE_ATTEMPTS:
        raise ValidationFailed(_("This code has expired. Ask for a new one."), code="code_expired")
    if not right:
        raise ValidationFailed(_("The code is not right."), code="wrong_code")
    with transaction.atomic():
        pending.used_at = now
        pending.save(update_fields=["used_at"])
        visitor.email_verified_at = now
        visitor.save(update_fields=["email_verified_at"])
        _join_email_customer(session, visitor.email)
    return profile_of(visitor, session)


def _join_email_customer(session: Session, email: str) -> None:
    own = Identity.objects.filter(kind=session.identity_kind, value=session.identity_value).first()
    known = Identity.objects.filter(kind=IdentityKind.EMAIL, value=email).first()
    actor = Actor.system("web chat: email confirmed")
    if own is None:
        # No message yet: the conversation starts under the known customer.
        target = (
            known.customer
            if known
            else customer_for_identity(kind=IdentityKind.EMAIL, value=email).customer
        )
        Identity.objects.get_or_create(
            kind=session.identity_kind,
            value=session.identity_value,
            defaults={"customer": target, "verified": True},
        )
        Identity.objects.filter(kind=IdentityKind.EMAIL, value=email).update(verified=True)
        return
    if known is None:
        identity_add(customer=own.customer, kind=IdentityKind.EMAIL, value=email, verified=True)
        return
    Identity.objects.filter(pk=known.pk).update(verified=True)
    if known.customer_id != own.customer_id:
        try:
            customer_merge(source=own.customer, target=known.customer, actor=actor)
        except Conflict:
            logger.info("visitor %s confirmed an email of a merged customer", session.public_id)


# --- read marks -----------------------------------------------------------------------------


def visitor_saw(*, session: Session, until: object, read: bool) -> int:
    """The widget showed (``read``) or received the replies up to message ``until``:
    their delivery status moves forward, which the agent sees. Returns how many changed."""
    if not isinstance(until, int) or isinstance(until, bool) or until <= 0:
        raise ValidationFailed(_("The message id is not understood."), code="bad_id")
    target = DeliveryStatus.READ if read else DeliveryStatus.DELIVERED
    earlier = [DeliveryStatus.SENT]
    if read:
        earlier.append(DeliveryStatus.DELIVERED)
    # A reply the outbox is sending right now counts too: it pushes before it records
    # the reply as sent, and the widget may answer first.
    seen = Q(delivery_status__in=earlier) | Q(
        delivery_status=DeliveryStatus.QUEUED, delivery__state=DeliveryState.SENDING
    )
    changed = 0
    with transaction.atomic():
        pending = Message.objects.select_for_update(of=("self",)).filter(
            seen,
            ticket__channel_account_id=session.channel_id,
            ticket__thread_key=session.thread_key,
            direction=Direction.OUT,
            pk__lte=until,
        )
        for message in pending.order_by("id")[:200]:
            message_set_delivery(message=message, status=target)
            changed += 1
    return changed


def agent_saw(*, ticket: Ticket, until: int) -> None:
    """An agent has the conversation on screen up to message ``until``: the visitor's
    messages up to there show as read in the widget."""
    if ticket.channel != "webchat" or not ticket.thread_key or ticket.channel_account_id is None:
        return
    updated = Visitor.objects.filter(
        channel_id=ticket.channel_account_id,
        thread_key=ticket.thread_key,
        agent_read_until__lt=until,
    ).update(agent_read_until=until)
    if updated:
        group = realtime.visitor_group(ticket.channel_account_id, ticket.thread_key)
        transaction.on_commit(lambda: realtime.push(group, {"type": "chat.read", "until": until}))


def agent_typing(*, ticket: Ticket, name: str, active: bool) -> None:
    """Show (or stop showing) "<name> is typing…" in the visitor's widget."""
    if ticket.channel != "webchat" or not ticket.thread_key or ticket.channel_account_id is None:
        return
    realtime.push(
        realtime.visitor_group(ticket.channel_account_id, ticket.thread_key),
        {"type": "chat.typing", "name": name, "active": bool(active)},
    )


def visitor_email_left(
    *, account: ChannelAccount, session: Session, client_id: object, email: object, source: str = ""
) -> IngestResult:
    """The visitor leaves an address for the answer (when nobody was free). It is kept
    on the visitor, unverified, and shown to agents as the visitor's own message."""
    clean_email = _clean_email(email)
    if not clean_email:
        raise ValidationFailed(_("This is not an email address."), code="bad_email")
    visitor = _visitor_for_writing(session)
    if not visitor.email_verified and visitor.email != clean_email:
        visitor.email = clean_email
        visitor.save(update_fields=["email"])
    return message_receive(
        account=account,
        session=session,
        client_id=client_id,
        text=clean_email,
        metadata={"contact_email": clean_email},
        source=source,
    )
