"""Long polling for desks without a public HTTPS address (``mode=polling``, or the
default ``auto`` when ``UNIDESK_BASE_URL`` is not https).

A periodic job in every worker: per polling bot, whoever takes the channel's poll lease
calls ``getUpdates`` from the stored offset, stores each update exactly as a webhook would
(deduplicated on ``update_id``) and moves the offset on. Two workers never poll one bot;
a worker that dies mid-poll leaves the offset where it was, and the next poll's updates
are recognised as already stored.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.crypto import get_random_string

from unidesk.channels import leases, registry
from unidesk.channels.base import ChannelError
from unidesk.channels.models import ChannelAccount, ChannelLease
from unidesk.channels.telegram.adapter import TelegramAdapter, WebhookActive
from unidesk.channels.webhooks import inbound_store

logger = logging.getLogger("unidesk.telegram")

LANE = "telegram.poll"
# Long enough to save requests, short enough not to hold up the worker's other work.
DEFAULT_TIMEOUT = 1
MAX_TIMEOUT = 25
# After a failed poll (a wrong token, Telegram unreachable) wait this long before the
# next one, instead of asking every second and logging the same failure each time.
RETRY_AFTER_FAILURE = timedelta(seconds=30)


def poll_all() -> int:
    """One poll of every active bot in polling mode; returns the updates stored. A bot
    without a token has nothing to poll with and is left alone."""
    stored = 0
    for account in ChannelAccount.objects.filter(kind="telegram", is_active=True):
        adapter = registry.adapter_for(account)
        if (
            isinstance(adapter, TelegramAdapter)
            and adapter.polling
            and adapter.config.secret("bot_token")
        ):
            stored += poll_once(account, adapter)
    return stored


def _timeout(adapter: TelegramAdapter) -> int:
    try:
        return max(0, min(MAX_TIMEOUT, int(adapter.config.setting("poll_timeout") or 1)))
    except ValueError:
        return DEFAULT_TIMEOUT


def poll_once(account: ChannelAccount, adapter: TelegramAdapter) -> int:
    # Read before taking the lease, which touches ``updated_at``: after a failure, the
    # row was last written when the failure was recorded.
    state = (
        ChannelLease.objects.filter(channel_account_id=account.pk, name=LANE)
        .values("last_error", "updated_at")
        .first()
    )
    last_error = state["last_error"] if state else ""
    if state and last_error and timezone.now() - state["updated_at"] < RETRY_AFTER_FAILURE:
        return 0
    holder = get_random_string(16)
    timeout = _timeout(adapter)
    if not leases.acquire(account.pk, LANE, holder, timedelta(seconds=timeout + 60)):
        return 0
    try:
        offset = int(leases.cursor(account.pk, LANE) or 0)
        try:
            updates = adapter.get_updates(offset=offset, timeout=timeout)
        except WebhookActive:
            # The bot still has a webhook from an earlier setup; polling needs it gone.
            logger.info("telegram channel %s: removing the webhook to poll", account.pk)
            try:
                adapter.delete_webhook()
            except ChannelError as exc:
                _failed(account, exc, last_error)
            return 0
        except ChannelError as exc:
            _failed(account, exc, last_error)
            return 0
        stored = 0
        for update in updates:
            try:
                update_id = int(update["update_id"])
            except (KeyError, TypeError, ValueError):
                continue
            body = json.dumps(update, ensure_ascii=False).encode()
            if inbound_store(account_id=account.pk, delivery_id=f"update:{update_id}", body=body):
                stored += 1
            offset = max(offset, update_id + 1)
        leases.save_cursor(account.pk, LANE, holder, str(offset))
        for update in updates:
            callback = update.get("callback_query") or {}
            if callback.get("id"):
                _safely(account, lambda cid=str(callback["id"]): adapter.answer_callback(cid))
        return stored
    finally:
        leases.release(account.pk, LANE, holder)


def _failed(account: ChannelAccount, error: ChannelError, last_error: str) -> None:
    """Show the failure to the operator (Administration → Channel leases) and log it once,
    not again on every retry while it stays the same."""
    leases.record_error(account.pk, LANE, str(error))
    if str(error)[:2000] != last_error:
        logger.warning("telegram channel %s: polling failed: %s", account.pk, error)


def _safely(account: ChannelAccount, call: object) -> None:
    """Answer a button press; a failure (a press too old to answer) costs the customer
    only the spinner on the button, so it neither stops nor delays polling."""
    try:
        call()  # type: ignore[operator]
    except ChannelError as exc:
        logger.info("telegram channel %s: answering a button press failed: %s", account.pk, exc)
