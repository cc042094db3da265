"""Who listens to which event, and which periodic jobs the workers run: in one place.

Subscribers marked ``background=True`` run in a worker from a task written in the same
transaction as the change; the others run in-process right after commit.
"""

from __future__ import annotations

from datetime import timedelta

_connected = False


def connect() -> None:
    global _connected  # noqa: PLW0603 (wiring happens once per process)
    if _connected:
        return
    _connected = True

    from unidesk.automation import subscribers as automation
    from unidesk.channels import outbox, webhooks
    from unidesk.channels.email import acknowledgement as email_acknowledgement
    from unidesk.channels.email import imap as email_imap
    from unidesk.channels.events import ButtonPressed, DeliveryGaveUp
    from unidesk.channels.telegram import polling as telegram_polling
    from unidesk.channels.webchat import offline as webchat_offline
    from unidesk.core import worker
    from unidesk.core.events import Event, subscribe
    from unidesk.crosschannel import subscribers as crosschannel
    from unidesk.csat import services as csat
    from unidesk.csat import subscribers as csat_subscribers
    from unidesk.reports import services as reports
    from unidesk.reports import subscribers as report_subscribers
    from unidesk.tickets.events import (
        CustomersMerged,
        MessageReceived,
        ReplyQueued,
        TicketCreated,
        TicketUpdated,
    )
    from unidesk.workspace import live

    subscribe(
        TicketCreated,
        email_acknowledgement.on_ticket_created,
        background=True,
        when=email_acknowledgement.concerns_email,
    )
    subscribe(
        MessageReceived,
        crosschannel.on_message_received,
        background=True,
        when=crosschannel.names_contacts,
    )
    subscribe(CustomersMerged, crosschannel.on_customers_merged, background=True)
    # Reports: each ticket's measurements are refreshed right after it changes; a sweep
    # catches a refresh lost to a crash between the commit and the subscriber.
    for event in (TicketCreated, TicketUpdated, ReplyQueued):
        subscribe(event, report_subscribers.tickets_changed, coalesce=True)
    # CSAT: ask right after a solve (or later, by the sweep, for email); a button press in
    # the conversation is a rating, recorded by a worker so it cannot be lost.
    subscribe(TicketUpdated, csat_subscribers.ticket_status_changed)
    subscribe(ButtonPressed, csat_subscribers.button_pressed, background=True)
    subscribe(DeliveryGaveUp, csat_subscribers.delivery_gave_up)
    # Agents' open workspaces hear of every change to a ticket as it commits.
    subscribe(Event, live.tell_workspaces, coalesce=True, when=live.concerns_workspaces)
    # Out-of-hours replies, the live chat's pickup notice, and the channels' bots.
    subscribe(
        TicketCreated,
        automation.on_ticket_created,
        background=True,
        when=automation.concerns_new_conversation,
    )
    subscribe(
        MessageReceived,
        automation.on_message_received,
        background=True,
        when=automation.concerns_a_bot,
    )

    worker.periodic("outbox.sweep", 30, outbox.sweep)
    worker.periodic("webhooks.sweep", 30, webhooks.sweep)
    worker.periodic("webhooks.prune", 3600, webhooks.prune)
    worker.periodic("telegram.poll", 1, telegram_polling.poll_all)
    worker.periodic("email.imap", 5, email_imap.fetch_due)
    worker.periodic("csat.sweep", 60, csat.surveys_sweep)
    worker.periodic("reports.refresh_stale", 60, reports.metrics_refresh_stale)
    worker.periodic("reports.fill_missing", 3600, reports.metrics_fill_missing)
    worker.periodic("webchat.email_unseen_replies", 60, webchat_offline.email_unseen_replies)
    worker.periodic("tasks.requeue_abandoned", 300, worker.requeue_abandoned_tasks)
    worker.periodic(
        "tasks.prune_finished", 3600, lambda: worker.prune_finished_tasks(timedelta(days=2))
    )
