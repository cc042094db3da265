"""The SQLite backend's in-process write turns (unidesk/core/sqlite) and the connection a
long-lived writer thread keeps (core.db.unit_of_work_connection)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from tests import factories
from unidesk.core.db import unit_of_work_connection
from unidesk.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="write turns are SQLite's; PostgreSQL has MVCC"
    ),
]


def _turn() -> threading.Lock:
    from unidesk.core.sqlite.base import _turn_for

    return _turn_for(str(connection.settings_dict["NAME"]))


def test_a_transaction_holds_the_turn_until_it_commits() -> None:
    with transaction.atomic():
        Ticket.objects.count()
        assert _turn().locked()
        with transaction.atomic():  # a savepoint is not a second turn
            assert _turn().locked()
    assert not _turn().locked()


def test_a_rolled_back_transaction_gives_the_turn_back() -> None:
    def failing_work() -> None:
        with transaction.atomic():
            Ticket.objects.count()
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError, match="the work failed"):
        failing_work()
    assert not _turn().locked()
    with transaction.atomic():  # and the next one gets it
        assert _turn().locked()


def test_closing_a_connection_mid_transaction_gives_the_turn_back() -> None:
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    Ticket.objects.count()
    assert _turn().locked()
    connection.close()
    assert not _turn().locked()
    with transaction.atomic():
        assert _turn().locked()


def test_threads_writing_at_once_all_get_their_turn_and_lose_no_write() -> None:
    account, _ = factories.channel()
    ticket = factories.conversation(account).ticket
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with transaction.atomic():
                    row = Ticket.objects.get(pk=ticket.pk)
                    row.reopen_count += 1
                    row.save(update_fields=["reopen_count"])
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ticket.refresh_from_db()
    # Read-modify-write in each transaction: a lost update would show as fewer.
    assert ticket.reopen_count == 100


def test_a_writer_thread_keeps_its_sqlite_connection_between_units() -> None:
    with unit_of_work_connection():
        Ticket.objects.count()
    first = connection.connection
    with unit_of_work_connection():
        Ticket.objects.count()
    assert first is not None
    assert connection.connection is first


def test_a_failed_unit_drops_the_connection_and_the_next_one_reconnects() -> None:
    def failing_unit() -> None:
        with unit_of_work_connection():
            Ticket.objects.count()
            raise ValueError("the unit failed")

    with pytest.raises(ValueError, match="the unit failed"):
        failing_unit()
    assert connection.connection is None
    with unit_of_work_connection():
        assert Ticket.objects.count() == 0
