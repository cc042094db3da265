"""Long polling: getUpdates from the stored offset, one poller per bot."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.channels.support import fixture
from tests.channels.telegram.fake import TOKEN
from unidesk.channels import leases, registry
from unidesk.channels.models import ChannelLease, InboundRecord
from unidesk.channels.telegram import polling
from unidesk.core.worker import periodic_jobs
from unidesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def polling_bot(telegram):
    account, _ = factories.channel(
        "telegram", settings={"bot_token": TOKEN, "api_base": telegram.url, "mode": "polling",
                              "poll_timeout": "0"},
    )  # fmt: skip
    return account


def test_polled_updates_become_tickets_and_the_offset_moves_on(
    polling_bot, telegram, run_tasks
) -> None:
    telegram.updates = [fixture("telegram", "text_message"), fixture("telegram", "voice")]

    assert polling.poll_all() == 2
    run_tasks()

    assert Ticket.objects.get().messages.count() == 2
    assert leases.cursor(polling_bot.pk, polling.LANE) == "815006"
    assert polling.poll_all() == 0
    (first, second) = telegram.sent("getUpdates")
    assert (first["offset"], second["offset"]) == (0, 815006)
    assert first["timeout"] == 0


def test_updates_seen_twice_are_stored_once(polling_bot, telegram, run_tasks) -> None:
    telegram.updates = [fixture("telegram", "text_message")]
    polling.poll_all()
    # The worker died before saving the offset: the same update comes again.
    ChannelLease.objects.filter(name=polling.LANE).update(cursor="")

    assert polling.poll_all() == 0
    run_tasks()

    assert InboundRecord.objects.count() == 1
    assert Message.objects.count() == 1


def test_two_workers_never_poll_one_bot(polling_bot, telegram) -> None:
    assert leases.acquire(polling_bot.pk, polling.LANE, "other-worker", timedelta(minutes=1))
    telegram.updates = [fixture("telegram", "text_message")]

    assert polling.poll_all() == 0
    assert telegram.sent("getUpdates") == []


def test_an_expired_lease_is_taken_over(polling_bot, telegram) -> None:
    leases.acquire(polling_bot.pk, polling.LANE, "dead-worker", timedelta(minutes=1))
    ChannelLease.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    telegram.updates = [fixture("telegram", "text_message")]

    assert polling.poll_all() == 1


def test_a_leftover_webhook_is_removed_so_polling_can_start(polling_bot, telegram) -> None:
    telegram.webhook_url = "https://old.example/hook"
    telegram.updates = [fixture("telegram", "text_message")]

    assert polling.poll_all() == 0
    assert telegram.sent("deleteWebhook")
    assert polling.poll_all() == 1


def test_button_presses_are_answered_when_polling(polling_bot, telegram, run_tasks) -> None:
    telegram.updates = [fixture("telegram", "callback_query")]

    polling.poll_all()
    run_tasks()

    assert telegram.sent("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    assert Message.objects.get().metadata["button"] == "csat:5"


def test_a_bad_token_is_recorded_for_the_operator(polling_bot, telegram) -> None:
    telegram.token = "other"

    assert polling.poll_all() == 0

    assert "401 Unauthorized" in ChannelLease.objects.get(name=polling.LANE).last_error


def test_a_failing_bot_waits_before_polling_again_and_logs_the_failure_once(
    polling_bot, telegram, caplog
) -> None:
    telegram.token = "other"
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        polling.poll_all()
        polling.poll_all()
    with time_machine.travel(start + polling.RETRY_AFTER_FAILURE + timedelta(seconds=1)):
        polling.poll_all()

    assert len(telegram.sent("getUpdates")) == 2
    assert caplog.text.count("polling failed") == 1
    telegram.token = TOKEN
    with time_machine.travel(start + 2 * polling.RETRY_AFTER_FAILURE + timedelta(seconds=2)):
        telegram.updates = [fixture("telegram", "text_message")]
        assert polling.poll_all() == 1
    assert ChannelLease.objects.get(name=polling.LANE).last_error == ""


def test_a_bot_without_a_token_is_not_polled(telegram, caplog) -> None:
    factories.channel("telegram", settings={"api_base": telegram.url, "mode": "polling"})

    assert polling.poll_all() == 0
    assert telegram.calls == []
    assert "polling failed" not in caplog.text


def test_webhook_bots_are_not_polled(bot, telegram) -> None:
    assert polling.poll_all() == 0
    assert telegram.sent("getUpdates") == []


def test_mode_auto_polls_unless_the_desk_has_a_public_https_address(telegram, settings) -> None:
    account, _ = factories.channel("telegram", settings={"bot_token": TOKEN})
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert registry.adapter_for(account).polling  # type: ignore[attr-defined]
    settings.BASE_URL = "https://desk.example.com"
    assert not registry.adapter_for(account).polling  # type: ignore[attr-defined]


def test_the_poller_runs_in_every_worker() -> None:
    assert periodic_jobs()["telegram.poll"].every_seconds <= 2
