"""Who the visitor is: anonymous by default; the known customer when the site signs their
identity with the channel secret; refused when the signature is missing or wrong; and an
email typed into the pre-chat form joins the known customer only once it is proven."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from django.core import mail

from tests import factories
from tests.channels.webchat.conftest import Visitor, db
from unidesk.channels.models import ChannelAccount
from unidesk.channels.services import channel_update_settings
from unidesk.customers.models import Customer, Identity
from unidesk.customers.services import customer_create
from unidesk.tickets.models import Message, Ticket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def sign(secret: str, user_id: str = "", email: str = "") -> str:
    """What the customer's site computes (docs/webchat.md)."""
    return hmac.new(secret.encode(), f"{user_id}\n{email}".encode(), hashlib.sha256).hexdigest()


async def test_a_signed_email_makes_the_visitor_that_known_customer(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, secret = chat
    known = await db(customer_create)(name="Olga", identities=[("email", "olga@example.com")])
    visitor = Visitor(account.key)
    await visitor.connect()
    welcome = await visitor.hello(
        identity={"email": "Olga@Example.com", "signature": sign(secret, email="Olga@Example.com")}
    )

    await visitor.say("1", "Hello, it's Olga")

    ticket = await db(Ticket.objects.get)()
    assert ticket.requester_id == known.pk
    assert welcome["signed"] is True
    assert welcome["profile"] == {"name": "", "email": "olga@example.com", "verified": True}
    await visitor.close()


async def test_a_signed_user_id_follows_the_customer_across_browsers(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, secret = chat
    identity = {"user_id": "42", "email": "ivan@example.com", "name": "Ivan",
                "signature": sign(secret, "42", "ivan@example.com")}  # fmt: skip
    laptop = Visitor(account.key)
    await laptop.connect()
    await laptop.hello(identity=identity)
    await laptop.say("l1", "From my laptop")

    phone = Visitor(account.key)
    await phone.connect()
    welcome = await phone.hello(identity=identity)

    assert phone.token != laptop.token
    assert [m["text"] for m in welcome["messages"]] == ["From my laptop"]
    customer = await db(Customer.objects.get)()
    kinds = await db(lambda: sorted(Identity.objects.filter(customer=customer)
                                    .values_list("kind", "value")))()  # fmt: skip
    assert kinds == [("email", "ivan@example.com"), ("webchat", f"user:{account.key}:42")]
    assert customer.name == "Ivan"
    await laptop.close()
    await phone.close()


@pytest.mark.parametrize(
    "identity",
    [
        {"email": "olga@example.com"},
        {"email": "olga@example.com", "signature": ""},
        {"email": "olga@example.com", "signature": "0" * 64},
        {"email": "olga@example.com", "signature": "wrong secret"},
        {"user_id": "42", "signature": "signed-for-another-user"},
        {"user_id": "42", "email": "boss@example.com", "signature": "signed-only-the-id"},
    ],
)
async def test_an_unsigned_or_wrongly_signed_identity_is_refused(
    chat: tuple[ChannelAccount, str], identity: dict[str, str]
) -> None:
    account, secret = chat
    if identity.get("signature") == "wrong secret":
        identity["signature"] = sign("not-the-secret", email=identity["email"])
    if identity.get("signature") == "signed-for-another-user":
        identity["signature"] = sign(secret, "43")
    if identity.get("signature") == "signed-only-the-id":
        identity["signature"] = sign(secret, "42")
    visitor = Visitor(account.key)
    await visitor.connect()

    await visitor.send({"type": "hello", "identity": identity})
    refused = await visitor.receive()
    code = await visitor.ws.receive_close()

    assert refused["type"] == "error"
    assert refused["code"] == "identity_refused"
    assert code == 4403
    assert await db(Customer.objects.count)() == 0


@pytest.mark.parametrize(
    "identity", ["a string", ["list"], {"user_id": "4\n2", "signature": "x"}, {"signature": "x"}]
)
async def test_a_malformed_identity_is_an_error_not_a_crash(
    chat: tuple[ChannelAccount, str], identity: object
) -> None:
    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()

    await visitor.send({"type": "hello", "identity": identity})
    error = await visitor.receive()

    assert error["code"] == "identity_invalid"


async def test_a_channel_for_signed_in_customers_refuses_anonymous_visitors(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, secret = chat
    await db(channel_update_settings)(account=account, settings={"identity_required": "on"})
    anonymous = Visitor(account.key)
    await anonymous.connect()
    await anonymous.send({"type": "hello"})
    refused = await anonymous.receive()

    signed = Visitor(account.key)
    await signed.connect()
    welcome = await signed.hello(identity={"user_id": "7", "signature": sign(secret, "7")})

    assert refused["code"] == "identity_required"
    assert welcome["signed"] is True


async def test_signing_out_in_the_same_browser_starts_a_new_conversation(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, secret = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello(identity={"user_id": "42", "signature": sign(secret, "42")})
    await visitor.say("1", "my private order")
    await visitor.close()

    after_logout = Visitor(account.key)
    after_logout.token = visitor.token
    await after_logout.connect()
    welcome = await after_logout.hello()

    assert welcome["messages"] == []
    assert welcome["token"] != visitor.token
    await after_logout.close()


async def test_the_required_pre_chat_form_comes_first(chat: tuple[ChannelAccount, str]) -> None:
    account, _ = chat
    await db(channel_update_settings)(account=account, settings={"prechat": "required"})
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()

    await visitor.send({"type": "message", "id": "1", "text": "hi"})
    refused = await visitor.receive()
    await visitor.send({"type": "prechat", "name": "Пётр", "email": ""})
    profile = await visitor.receive()
    ack = await visitor.say("1", "hi")

    assert (refused["code"], refused["id"]) == ("prechat_required", "1")
    assert profile["profile"]["name"] == "Пётр"
    assert ack["type"] == "ack"
    customer = await db(lambda: Message.objects.get().ticket.requester)()
    assert customer.name == "Пётр"
    await visitor.close()


async def test_a_typed_email_stays_apart_until_the_code_proves_it(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    known = await db(customer_create)(name="Olga", identities=[("email", "olga@example.com")])
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    await visitor.say("1", "Hi, this is Olga")
    mail.outbox.clear()

    await visitor.send({"type": "prechat", "name": "Olga", "email": "olga@example.com"})
    profile = await visitor.receive()
    ticket = await db(Ticket.objects.get)()
    assert profile["profile"] == {"name": "Olga", "email": "olga@example.com", "verified": False}
    assert profile["code_sent"] is True
    assert ticket.requester_id != known.pk  # kept apart while unproven

    await db(_run_tasks)()
    (sent,) = mail.outbox
    assert sent.to == ["olga@example.com"]
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)  # type: ignore[union-attr]

    await visitor.send({"type": "verify", "code": "000000" if code != "000000" else "111111"})
    wrong = await visitor.receive()
    await visitor.send({"type": "verify", "code": code})
    proven = await visitor.receive()

    assert wrong["code"] == "wrong_code"
    assert proven["profile"]["verified"] is True
    ticket = await db(Ticket.objects.get)()
    assert ticket.requester_id == known.pk
    await visitor.close()


async def test_guessing_the_code_stops_after_five_tries(chat: tuple[ChannelAccount, str]) -> None:
    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()
    await visitor.send({"type": "prechat", "email": "target@example.com"})
    await visitor.receive()

    codes = []
    for guess in range(7):
        await visitor.send({"type": "verify", "code": f"{guess:06d}9"})
        codes.append((await visitor.receive())["code"])

    assert codes[:5] == ["wrong_code"] * 5
    assert codes[5:] == ["code_expired", "code_expired"]
    await visitor.close()


def _run_tasks() -> int:
    from unidesk.core.worker import Worker

    return Worker(worker_id="test").drain()


async def test_a_visitor_may_leave_an_email_for_the_answer(
    chat: tuple[ChannelAccount, str],
) -> None:
    account, _ = chat
    visitor = Visitor(account.key)
    await visitor.connect()
    await visitor.hello()

    await visitor.send({"type": "contact", "id": "c1", "email": "Petr@Example.com"})
    ack = await visitor.receive_type("ack")

    message = await db(Message.objects.get)()
    assert ack["message"]["text"] == "petr@example.com"
    assert message.metadata["contact_email"] == "petr@example.com"
    assert await db(Identity.objects.filter(kind="email").count)() == 0
    await visitor.close()


async def test_identity_namespace_lets_two_widgets_share_their_users(
    transactional_db: None,
) -> None:
    settings = {"identity_namespace": "shop"}
    first, first_secret = await db(factories.channel)("webchat", settings=settings)
    second, second_secret = await db(factories.channel)("webchat", settings=settings)
    for account, secret in ((first, first_secret), (second, second_secret)):
        visitor = Visitor(account.key)
        await visitor.connect()
        await visitor.hello(identity={"user_id": "9", "signature": sign(secret, "9")})
        await visitor.say("1", f"via {account.name}")
        await visitor.close()

    assert await db(Customer.objects.count)() == 1
