"""What automation does when tickets change (wired in ``unidesk.wiring``, run by a
worker from a task written with the change, so a crash cannot lose it)."""

from __future__ import annotations

from unidesk.automation.bot import bot_handle
from unidesk.automation.replies import bot_channels, may_speak_in, out_of_hours_reply, pickup_watch
from unidesk.core import clock
from unidesk.tickets.events import MessageReceived, TicketCreated
from unidesk.tickets.models import Ticket


def on_ticket_created(event: TicketCreated) -> None:
    """A customer started a conversation: an honest word if nobody is at work, and a
    check after the live chat's pickup time."""
    if event.actor.kind != "customer":
        return
    ticket = (
        Ticket.objects.select_related("group", "channel_account", "requester")
        .filter(pk=event.ticket_id)
        .first()
    )
    if ticket is None:
        return
    out_of_hours_reply(ticket)
    pickup_watch(ticket)


def on_message_received(event: MessageReceived) -> None:
    """The customer wrote: the channel's bot, if it has one, answers or hands over."""
    if event.actor.kind == "customer":
        bot_handle(event.message_id)


# Asked when the events are published, so conversations automation has nothing to say to
# cost no background task.


def concerns_new_conversation(event: TicketCreated) -> bool:
    return event.actor.kind == "customer" and may_speak_in(
        channel_account_id=event.channel_account_id,
        group_id=event.group_id,
        is_public=event.is_public,
        at=clock.now(),
    )


def concerns_a_bot(event: MessageReceived) -> bool:
    return event.actor.kind == "customer" and event.channel_account_id in bot_channels()
