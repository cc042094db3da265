"""VK communities: Callback API confirmation and secret, private messages, wall comments as
public tickets, replies through messages.send and wall.createComment."""

import json
from datetime import timedelta

import pytest
import time_machine

from tests.channels.support import fixture, fixture_bytes, post_webhook
from tests.channels.vk.fake import CONFIRMATION, too_many_requests
from unidesk.channels.composer import reply_options
from unidesk.channels.models import Delivery, InboundRecord
from unidesk.channels.services import conversation_continue_privately, reply_send
from unidesk.channels.vk.adapter import random_id
from unidesk.core.errors import ValidationFailed
from unidesk.tickets.models import Message, Ticket
from unidesk.tickets.services import NewAttachment

pytestmark = pytest.mark.django_db


def deliver(community, vk, name: str):
    return post_webhook(community, vk.content(fixture_bytes("vk", name)))


def test_the_confirmation_request_gets_the_confirmation_string(community) -> None:
    response = post_webhook(community, fixture_bytes("vk", "confirmation"))

    assert response.status_code == 200
    assert response.content.decode() == CONFIRMATION
    assert InboundRecord.objects.count() == 0


def test_a_confirmation_for_another_community_is_refused(community) -> None:
    response = post_webhook(community, {"type": "confirmation", "group_id": 1})

    assert response.status_code == 403
    assert CONFIRMATION not in response.content.decode()


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong", 403)])
def test_an_event_without_the_right_secret_is_refused(community, secret, status) -> None:
    event = fixture("vk", "message_new")
    if secret is None:
        del event["secret"]
    else:
        event["secret"] = secret

    response = post_webhook(community, event)

    assert response.status_code == status
    assert InboundRecord.objects.count() == 0


def test_a_private_message_becomes_a_ticket_named_after_the_user(community, vk, run_tasks) -> None:
    response = deliver(community, vk, "message_new")

    assert (response.status_code, response.content) == (200, b"ok")
    run_tasks()
    ticket = Ticket.objects.get()
    assert not ticket.is_public
    assert ticket.thread_key == "51230001"
    assert ticket.requester.name == "Анна Кузнецова"  # looked up with users.get
    assert ticket.requester.identities.get().value == "51230001"
    assert ticket.messages.get().text == "Здравствуйте, не могу оплатить заказ картой"


def test_an_event_delivered_twice_creates_nothing(community, vk, run_tasks) -> None:
    deliver(community, vk, "message_new")
    second = deliver(community, vk, "message_new")
    run_tasks()

    assert second.content == b"ok"
    assert InboundRecord.objects.count() == 1
    assert Message.objects.count() == 1


def test_photos_documents_and_voice_are_downloaded(community, vk, run_tasks) -> None:
    vk.files.update(
        {
            "impg/large.jpg": b"JPEG-large",
            "doc/statement.pdf": b"%PDF-1.4",
            "audio/voice.ogg": b"OggS",
        }
    )

    deliver(community, vk, "message_new_attachments")
    run_tasks()

    message = Message.objects.get()
    assert message.text == "Photo\nFile: Выписка.pdf\nVoice message"
    files = {a.filename: a.file.read() for a in message.attachments.all()}
    assert files == {
        "photo_457239101.jpg": b"JPEG-large", "Выписка.pdf": b"%PDF-1.4",
        "voice_600101.ogg": b"OggS",
    }  # fmt: skip


def test_a_keyboard_button_arrives_with_its_payload(community, vk, run_tasks) -> None:
    deliver(community, vk, "message_new_button")
    run_tasks()

    assert Message.objects.get().metadata["button"] == "csat:5"


def test_an_edited_message_keeps_its_history(community, vk, run_tasks) -> None:
    deliver(community, vk, "message_new")
    deliver(community, vk, "message_edit")
    run_tasks()

    message = Message.objects.get()
    assert message.text.endswith("картой Мир")
    assert message.metadata["edits"][0]["text"].endswith("картой")


def test_a_message_the_community_sent_from_vk_is_shown_as_outgoing(
    community, vk, run_tasks
) -> None:
    deliver(community, vk, "message_new")
    deliver(community, vk, "message_reply")
    run_tasks()

    _incoming, echo = Ticket.objects.get().messages.order_by("id")
    assert echo.direction == "out"
    assert echo.delivery_status == "sent"
    assert echo.text == "Попробуйте оплатить через СБП, пожалуйста."
    assert Delivery.objects.count() == 0  # nothing to send again


def test_a_reply_goes_out_with_messages_send_and_a_stable_random_id(
    community, vk, agent, run_tasks
) -> None:
    deliver(community, vk, "message_new")
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Попробуйте СБП")
    run_tasks()

    (sent,) = vk.calls_of("messages.send")
    delivery = Delivery.objects.get()
    assert sent["peer_id"] == "51230001"
    assert sent["message"] == "Попробуйте СБП"
    assert sent["random_id"] == str(random_id(str(delivery.idempotency_key)))
    assert "access_token" not in vk.calls[-1].query  # the token travels in the body
    message = Message.objects.get(pk=reply.pk)
    assert (message.delivery_status, message.external_id) == ("sent", "msg:3001")


def test_a_photo_and_a_document_are_uploaded_then_attached(community, vk, agent, run_tasks):
    deliver(community, vk, "message_new")
    run_tasks()
    reply_send(
        ticket=Ticket.objects.get(), author=agent, text="Скриншот и инструкция",
        attachments=[NewAttachment("screen.png", b"\x89PNG", "image/png"),
                     NewAttachment("howto.pdf", b"%PDF", "application/pdf")],
    )  # fmt: skip
    run_tasks()

    (sent,) = vk.calls_of("messages.send")
    assert sent["attachment"] == "photo-218374_457239017,doc-218374_6612999"
    assert (vk.files["photo"], vk.files["doc"]) == (b"\x89PNG", b"%PDF")


def test_vk_rate_limits_are_retried_and_the_repeat_is_deduplicated(
    community, vk, agent, run_tasks
) -> None:
    deliver(community, vk, "message_new")
    run_tasks()
    vk.fail_next(r"/messages\.send$", too_many_requests())
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()
    assert "Too many requests" in Message.objects.get(pk=reply.pk).delivery_error

    with time_machine.travel(Delivery.objects.get().next_attempt_at + timedelta(seconds=1)):
        run_tasks()

    assert Message.objects.get(pk=reply.pk).delivery_status == "sent"
    first, second = vk.calls_of("messages.send")
    assert first["random_id"] == second["random_id"]


def test_an_invalid_token_is_a_readable_permanent_failure(community, vk, agent, run_tasks):
    deliver(community, vk, "message_new")
    run_tasks()
    vk.token = "rotated"
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()

    message = Message.objects.get(pk=reply.pk)
    assert message.delivery_status == "failed"
    assert message.delivery_error.startswith("VK rejected the access token (error 5)")
    assert "request_params" not in message.delivery_error


def test_a_wall_comment_is_a_public_ticket(community, vk, run_tasks) -> None:
    deliver(community, vk, "wall_reply_new")
    run_tasks()

    ticket = Ticket.objects.get()
    assert ticket.is_public
    assert ticket.thread_key == "wall:-218374_934:51230002"
    message = ticket.messages.get()
    assert message.is_public
    assert message.metadata["vk"]["post_url"] == "https://vk.com/wall-218374_934"
    options = reply_options(ticket)
    assert options.public
    assert "will be public" in options.warning
    assert options.can_continue_privately


def test_an_answer_to_a_comment_is_a_public_reply_to_that_comment(
    community, vk, agent, run_tasks
) -> None:
    deliver(community, vk, "wall_reply_new")
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Пётр, проверим возврат")
    run_tasks()

    (comment,) = vk.calls_of("wall.createComment")
    assert comment["owner_id"] == "-218374"
    assert comment["post_id"] == "934"
    assert comment["reply_to_comment"] == "5511"
    assert comment["from_group"] == "218374"
    assert comment["guid"] == str(Delivery.objects.get().idempotency_key)
    assert vk.calls_of("messages.send") == []
    message = Message.objects.get(pk=reply.pk)
    assert message.is_public
    assert message.external_id == "comment:-218374_934_3001"


def test_the_communitys_own_comment_is_recorded_as_a_public_answer(
    community, vk, run_tasks
) -> None:
    deliver(community, vk, "wall_reply_new")
    deliver(community, vk, "wall_reply_community")
    run_tasks()

    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("direction", flat=True)) == ["in", "out"]


def test_a_public_thread_continues_in_private_messages(community, vk, agent, run_tasks) -> None:
    deliver(community, vk, "wall_reply_new")
    run_tasks()
    public = Ticket.objects.get()

    message = conversation_continue_privately(
        ticket=public, author=agent, text="Пётр, пишу в личные: номер заказа, пожалуйста?",
        public_reply="Ответили вам в личных сообщениях.",
    )  # fmt: skip
    run_tasks()

    private = message.ticket
    assert not private.is_public
    assert private.thread_key == "51230002"
    assert private.requester_id == public.requester_id
    (sent,) = vk.calls_of("messages.send")
    assert sent["peer_id"] == "51230002"
    (comment,) = vk.calls_of("wall.createComment")
    assert comment["message"] == "Ответили вам в личных сообщениях."
    assert public.activities.filter(field="continued_privately", new_value=private.reference)
    assert private.activities.filter(field="continued_from", new_value=public.reference)

    # The customer answers privately: it lands on the private ticket.
    event = fixture("vk", "message_new")
    event["object"]["message"].update({"from_id": 51230002, "peer_id": 51230002, "id": 1300})
    event["event_id"] = "another-event"
    post_webhook(community, event)
    run_tasks()
    assert Message.objects.get(external_id="msg:1300").ticket_id == private.pk


def test_a_private_ticket_cannot_be_moved_to_private(community, vk, agent, run_tasks) -> None:
    deliver(community, vk, "message_new")
    run_tasks()

    with pytest.raises(ValidationFailed, match="cannot be moved"):
        conversation_continue_privately(ticket=Ticket.objects.get(), author=agent, text="hi")


def test_a_customer_who_does_not_allow_messages_gets_a_readable_failure(
    community, vk, agent, run_tasks
) -> None:
    event = fixture("vk", "message_new")
    event["object"]["message"].update({"from_id": 901, "peer_id": 901})
    post_webhook(community, event)
    run_tasks()
    reply = reply_send(ticket=Ticket.objects.get(), author=agent, text="Hello")
    run_tasks()

    assert "has not allowed messages" in Message.objects.get(pk=reply.pk).delivery_error


def test_events_that_are_not_conversations_are_acknowledged(community, vk, run_tasks) -> None:
    assert deliver(community, vk, "group_join").content == b"ok"
    run_tasks()

    assert Ticket.objects.count() == 0
    assert json.loads(bytes(InboundRecord.objects.get().body))["type"] == "group_join"
