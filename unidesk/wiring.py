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
    from unidesk.channels.telegram import polling as telegram_polling
    from unidesk.channels.webchat import offline as webchat_offline
    from unidesk.core import worker
    from unidesk.core.events import subscribe
    from unidesk.tickets.events import MessageReceived, TicketCreated
    from unidesk.workspace import live

    # Agents' open workspaces hear of every change to a ticket as it commits.
    for event_type in live.KINDS:
        subscribe(event_type, live.tell_workspaces)
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
    worker.periodic("webchat.email_unseen_replies", 60, webchat_offline.email_unseen_replies)
    worker.periodic("tasks.requeue_abandoned", 300, worker.requeue_abandoned_tasks)
    worker.periodic(
        "tasks.prune_finished", 3600, lambda: worker.prune_finished_tasks(timedelta(days=2))
    )
