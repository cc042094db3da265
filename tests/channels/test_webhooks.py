"""Stored webhooks: answered before processing, processed in order by one worker per
channel, swept up when a task goes missing, and pruned after a while."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests import factories
from tests.channels.support import fixture, post_webhook
from unidesk.channels import leases, webhooks
from unidesk.channels.models import InboundRecord, InboundState
from unidesk.channels.phone.adapter import PhoneAdapter
from unidesk.channels.services import channel_set_active
from unidesk.tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def pbx():
    return factories.channel("phone")


def call(pbx, call_id: str, **changes):
    account, secret = pbx
    event = {**fixture("phone", "inbound_answered"), "call_id": call_id, **changes}
    return post_webhook(account, event, {"Authorization": f"Bearer {secret}"})


def test_nothing_is_processed_before_the_answer_and_all_after(pbx, run_tasks) -> None:
    for n in range(5):
        assert call(pbx, f"c{n}").status_code == 200
    assert Message.objects.count() == 0

    run_tasks()

    ticket_messages = Message.objects.order_by("created_at", "id")
    assert [m.external_id for m in ticket_messages] == [f"call:c{n}" for n in range(5)]
    assert set(InboundRecord.objects.values_list("state", flat=True)) == {"done"}


def test_a_switched_off_channel_answers_404_and_stores_nothing(pbx) -> None:
    account, _ = pbx
    assert call(pbx, "c0").status_code == 200  # the channel is now remembered

    channel_set_active(account=account, active=False)

    assert call(pbx, "c1").status_code == 404
    assert InboundRecord.objects.count() == 1


def test_an_oversized_body_is_refused(pbx) -> None:
    account, secret = pbx
    body = json.dumps({"call_id": "x", "padding": "x" * (PhoneAdapter.max_webhook_bytes + 1)})

    response = post_webhook(account, body.encode(), {"Authorization": f"Bearer {secret}"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert InboundRecord.objects.count() == 0


def test_while_one_worker_drains_a_channel_another_waits(pbx, run_tasks) -> None:
    account, _ = pbx
    assert leases.acquire(account.pk, webhooks.LANE, "busy-worker", timedelta(minutes=1))
    call(pbx, "c1")

    run_tasks()
    assert Message.objects.count() == 0  # the other worker holds the channel

    leases.release(account.pk, webhooks.LANE, "busy-worker")
    assert webhooks.inbound_drain(account.pk) == 1
    assert Message.objects.count() == 1


def test_a_lost_task_is_found_by_the_sweep(pbx, run_tasks) -> None:
    call(pbx, "c1")
    DBTaskResult.objects.all().delete()  # the task row is gone (a crash, a bad restore)

    assert run_tasks() == 0
    assert webhooks.sweep() == 0  # not yet: it may still be on its way
    with time_machine.travel(timezone.now() + webhooks.SWEEP_GRACE + timedelta(seconds=1)):
        assert webhooks.sweep() == 1
        run_tasks()

    assert Message.objects.count() == 1


def test_a_long_backlog_is_continued_in_a_fresh_task(pbx, run_tasks) -> None:
    account, _ = pbx
    for n in range(3):
        call(pbx, f"c{n}")
    DBTaskResult.objects.all().delete()

    processed = webhooks.inbound_drain(account.pk, budget_seconds=0)

    assert processed == 0
    assert DBTaskResult.objects.count() == 1  # handed over, not dropped
    run_tasks()
    assert Message.objects.count() == 3


def test_a_crashing_parser_marks_the_payload_and_carries_on(
    pbx, run_tasks, monkeypatch, caplog
) -> None:
    def broken(self, request):
        raise KeyError("surprise")

    monkeypatch.setattr(PhoneAdapter, "parse_inbound", broken)
    call(pbx, "c1")

    run_tasks()

    record = InboundRecord.objects.get()
    assert record.state == InboundState.UNPARSEABLE
    assert record.error == "Unexpected error while reading the payload (KeyError)."
    assert "reading webhook" in caplog.text


def test_processed_webhooks_are_pruned_after_a_week_and_failures_after_a_month(
    pbx, run_tasks
) -> None:
    call(pbx, "ok")
    account, secret = pbx
    post_webhook(account, b"not json", {"Authorization": f"Bearer {secret}"})
    run_tasks()

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert webhooks.prune() == 1
    assert InboundRecord.objects.get().state == InboundState.UNPARSEABLE
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert webhooks.prune() == 1
    assert InboundRecord.objects.count() == 0


def test_housekeeping_runs_in_every_worker() -> None:
    from unidesk.core.worker import periodic_jobs

    assert {"webhooks.sweep", "webhooks.prune"} <= set(periodic_jobs())


def test_storing_many_at_once_skips_what_is_already_stored(pbx) -> None:
    account, _ = pbx
    webhooks.inbound_store(account_id=account.pk, delivery_id="a", body=b"1")

    created = webhooks.inbound_store_many(
        [(account.pk, "a", b"1"), (account.pk, "b", b"2"), (account.pk, "b", b"2"),
         (account.pk, "c", b"3")]
    )  # fmt: skip

    assert created == [False, True, False, True]
    assert sorted(InboundRecord.objects.values_list("delivery_id", flat=True)) == ["a", "b", "c"]
    tasks = DBTaskResult.objects.filter(task_path__endswith="process_inbound")
    assert tasks.count() == 2  # one for the first webhook, one for the batch


def test_a_delivery_failing_in_a_batch_is_retried_alone(pbx, run_tasks, monkeypatch) -> None:
    from unidesk.channels import ingest as ingest_module

    real = ingest_module.message_add_inbound

    def fail_once_for_c2(**kwargs):
        if kwargs["external_id"] == "call:c2" and not getattr(fail_once_for_c2, "failed", False):
            fail_once_for_c2.failed = True  # type: ignore[attr-defined]
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(ingest_module, "message_add_inbound", fail_once_for_c2)
    for n in range(4):
        call(pbx, f"c{n}", caller="+79160000001")

    run_tasks()

    states = dict(InboundRecord.objects.values_list("delivery_id", "state"))
    assert sorted(states.values()) == ["done", "done", "done", "pending"]
    failed = InboundRecord.objects.get(state="pending")
    assert failed.error == "Unexpected error (RuntimeError)."
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [
        "call:c0", "call:c1", "call:c3",
    ]  # fmt: skip
    # The same caller's calls went to one customer, and the batch did not lose track of it.
    assert len({m.ticket.requester_id for m in Message.objects.select_related("ticket")}) == 1

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        run_tasks()

    assert InboundRecord.objects.get(pk=failed.pk).state == "done"
    assert Message.objects.filter(external_id="call:c2").exists()
