"""Phone calls reported by a telephony system (a PBX or a cloud phone service) as JSON
webhooks; the format is documented in docs/channels/phone.md.

Each call becomes an entry on the customer's timeline: on the customer's open phone
ticket, or a new one (a phone channel does not reopen solved tickets: ``reopen_window_days``
defaults to 0). A missed incoming call opens a call-back ticket. A later event about the
same call (the recording is ready) updates its entry.

Authentication: ``Authorization: Bearer <channel secret>``, or a signature
``X-Unidesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` made
less than five minutes ago.
"""

from __future__ import annotations

import html
import time
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from unidesk.channels.base import (
    ChannelAdapter,
    IdentityRef,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    InvalidPayload,
    VerificationFailed,
    WebhookRequest,
)
from unidesk.channels.registry import register
from unidesk.core import crypto
from unidesk.core.inputs import loads_untrusted
from unidesk.customers.identities import canonical_phone

SIGNATURE_TOLERANCE_SECONDS = 300
DIRECTIONS = frozenset({"inbound", "outbound"})
STATUSES = frozenset({"answered", "missed", "busy", "no_answer", "failed", "voicemail"})
NOT_REACHED = frozenset({"missed", "busy", "no_answer", "failed", "voicemail"})


def phone_number(raw: Any) -> str:
    """The caller's number as identities store it: a PBX sends Russian numbers the
    domestic way (89161234567) as often as with +7, and both are one customer."""
    return canonical_phone(str(raw or "")) or ""


def _moment(raw: Any, field: str) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPayload(
            f"{field} is not an ISO 8601 time.", fields={field: "invalid"}
        ) from None
    if moment.tzinfo is None:
        raise InvalidPayload(f"{field} needs a time zone.", fields={field: "naive"})
    return moment


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:
        return ""
    seconds = int((end - start).total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    digest = crypto.hmac_sha256_hex(secret, f"{timestamp}.".encode() + body)
    return f"t={timestamp},v1={digest}"


@register
class PhoneAdapter(ChannelAdapter):
    kind = "phone"
    settings_names = frozenset({"api_base"})
    secret_settings = frozenset()
    inbound_secret_use = gettext_lazy(
        "The phone system sends it as “Authorization: Bearer …”, or signs the body with it "
        "(X-Unidesk-Signature)."
    )
    default_settings = {"reopen_window_days": "0"}

    def verify(self, request: WebhookRequest) -> None:
        secret = self.config.secret("secret")
        signature = request.header("x-unidesk-signature")
        if signature:
            self._verify_signature(signature, request.body, secret)
            return
        scheme, _sep, token = request.header("authorization").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise VerificationFailed(
                "Send the channel secret as 'Authorization: Bearer …' or sign the body "
                "with X-Unidesk-Signature."
            )
        if not crypto.constant_time_equals(token.strip(), secret):
            raise VerificationFailed("The channel secret is wrong.", status=403)

    def _verify_signature(self, header: str, body: bytes, secret: str) -> None:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            raise VerificationFailed("X-Unidesk-Signature needs t=<unix time>.") from None
        # A timestamp of hundreds of digits is as stale as any other, but fits no float.
        stale = (
            abs(timestamp) >= 2**53 or abs(time.time() - timestamp) > SIGNATURE_TOLERANCE_SECONDS
        )
        if stale:
            raise VerificationFailed(
                "The signature is too old (or the clocks differ by more than 5 minutes).",
                status=403,
            )
        expected = signature_header(secret, body, timestamp).split("v1=", 1)[1]
        if not crypto.constant_time_equals(parts.get("v1", ""), expected):
            raise VerificationFailed("The signature does not match.", status=403)

    def delivery_id(self, request: WebhookRequest) -> str:
        # The same call may be reported again with more to say (the recording is ready):
        # identical reports are one delivery, changed ones are new.
        try:
            call_id = str(loads_untrusted(request.body)["call_id"])[:40]
        except (ValueError, TypeError, KeyError):
            return super().delivery_id(request)
        return f"call:{call_id}:{super().delivery_id(request)[7:31]}"

    def parse_inbound(self, request: WebhookRequest) -> list[InboundEvent]:
        try:
            event = loads_untrusted(request.body)
        except ValueError:
            raise InvalidPayload("The call event is not JSON.") from None
        if not isinstance(event, dict):
            raise InvalidPayload("The call event must be a JSON object.")
        return [InboundEdit(message=parse_call(event))]


def parse_call(event: dict[str, Any]) -> InboundMessage:
    fields: dict[str, str] = {}
    call_id = str(event.get("call_id") or "").strip()
    if not call_id:
        fields["call_id"] = "required"
    direction = str(event.get("direction") or "")
    if direction not in DIRECTIONS:
        fields["direction"] = "inbound or outbound"
    status = str(event.get("status") or "")
    if status not in STATUSES:
        fields["status"] = ", ".join(sorted(STATUSES))
    customer_field = "callee" if direction == "outbound" else "caller"
    customer = phone_number(event.get(customer_field))
    if not customer:
        fields[customer_field] = "a phone number"
    if fields:
        raise InvalidPayload("The call event is incomplete.", fields=fields)
    started = _moment(event.get("started_at"), "started_at")
    ended = _moment(event.get("ended_at"), "ended_at")
    recording = str(event.get("recording_url") or "")
    if recording and not recording.startswith(("https://", "http://")):
        recording = ""
    agent = str(event.get("agent") or "").strip()
    missed = direction == "inbound" and status in NOT_REACHED
    text = _describe(direction, status, customer, agent, _duration(started, ended))
    if recording:
        text += "\n" + _("Recording: %(url)s") % {"url": recording}
    body_html = "<p>" + html.escape(text.split("\n", 1)[0]) + "</p>"
    if recording:
        body_html += f'<p><a href="{html.escape(recording)}">{html.escape(_("Recording"))}</a></p>'
    return InboundMessage(
        external_id=f"call:{call_id}",
        identity=IdentityRef("phone", customer),
        name=str(event.get("caller_name") or "") if direction == "inbound" else "",
        text=text,
        html=body_html,
        subject=(_("Call back: missed call from %(number)s") % {"number": customer})
        if missed
        else "",
        thread_key=customer,
        sent_at=started,
        metadata={
            "call": {
                "id": call_id,
                "direction": direction,
                "status": status,
                "caller": phone_number(event.get("caller")) or str(event.get("caller") or ""),
                "callee": phone_number(event.get("callee")) or str(event.get("callee") or ""),
                "agent": agent,
                "started_at": started.isoformat() if started else None,
                "ended_at": ended.isoformat() if ended else None,
                "recording_url": recording,
                "callback": missed,
            }
        },
    )


def _describe(direction: str, status: str, number: str, agent: str, duration: str) -> str:
    values = {"number": number, "agent": agent}
    if direction == "inbound" and status == "answered":
        parts = [_("Incoming call from %(number)s") % values]
        if agent:
            parts.append(_("answered by %(agent)s") % values)
    elif direction == "inbound":
        if status == "voicemail":
            return (
                _("Missed call from %(number)s; the caller left a voicemail. Call back.") % values
            )
        return _("Missed call from %(number)s. Call back.") % values
    elif status == "answered":
        if agent:
            parts = [_("Outgoing call to %(number)s by %(agent)s") % values]
        else:
            parts = [_("Outgoing call to %(number)s") % values]
    else:
        return _("Outgoing call to %(number)s was not answered.") % values
    if duration:
        parts.append(_("duration %(duration)s") % {"duration": duration})
    return ", ".join(parts) + "."
