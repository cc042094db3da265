"""Django's SQLite backend, with the threads of one process taking turns to write.

SQLite lets one connection write at a time. A transaction that finds the write lock taken
waits in SQLite's busy handler, which sleeps and retries in growing steps (up to 25, then
50 and 100 ms) rather than waking when the lock is freed, and the thread holding the lock
can run on while the others sleep: under load the ingestion writer, the worker, web chat and
the request threads of one server process find each other mid-transaction, and an unlucky
one waits far longer than the work in front of it (``python -m bench sqlite_writers``).

So before ``BEGIN`` a thread takes a lock shared by the process's connections to the same
database file, and gives it back when its transaction ends: a waiting thread starts the
moment the previous one commits. Other processes (a second server process, the CLI)
still meet at SQLite's own lock. Nothing is locked that SQLite would not lock anyway:
every transaction here begins IMMEDIATE or EXCLUSIVE (settings), so it holds the write
lock from ``BEGIN`` to its end already.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

# How long a thread waits for its turn before leaving it to SQLite's busy timeout (which
# then reports "database is locked" as before, rather than waiting forever).
TURN_TIMEOUT = 30.0

_turns: dict[str, threading.Lock] = {}
_turns_lock = threading.Lock()


def _turn_for(database: str) -> threading.Lock:
    with _turns_lock:
        return _turns.setdefault(database, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            # A failed COMMIT leaves no transaction open in SQLite's autocommit mode
            # except on SQLITE_BUSY, where Django rolls back next: that ends it too.
            if self.connection is None or self.connection.in_transaction is False:
                self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _take_turn(self) -> None:
        if self._turn is not None or self.is_in_memory_db():
            return
        turn = _turn_for(str(self.settings_dict["NAME"]))
        if turn.acquire(timeout=TURN_TIMEOUT):
            self._turn = turn

    def _end_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()
