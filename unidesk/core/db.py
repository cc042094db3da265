"""Database-specific setup that has to run on every new connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import close_old_connections, connection, connections
from django.db.backends.signals import connection_created

from unidesk.core.text import search_document


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        # The full-text index triggers call this to stem Russian and English words the same
        # way PostgreSQL's `russian` configuration does.
        connection.connection.create_function(
            "unidesk_search_document", 1, _search_document_or_empty, deterministic=True
        )


def _search_document_or_empty(text: str | None) -> str:
    return search_document(text or "")


def install_connection_hooks() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="unidesk-sqlite-functions")


def is_postgres(connection: Any) -> bool:
    return bool(connection.vendor == "postgresql")


def drop_connections_after_errors() -> None:
    """For threads that keep their connections between jobs: drop only a connection an
    error may have left broken."""
    for open_connection in connections.all(initialized_only=True):
        if open_connection.errors_occurred:
            open_connection.close_if_unusable_or_obsolete()


@contextmanager
def unit_of_work_connection() -> Iterator[None]:
    """Around one unit of work of a thread that does one after another (a server process's
    ingestion writer and webhook store). On SQLite the thread keeps its connection from one
    unit to the next: opening one (the file, the pragmas, our search functions) costs more
    than a small batch. PostgreSQL's connections go back to the pool after each unit, as
    Django does between requests, so a restarted server is met with a fresh one. After an
    error the connection is dropped either way."""
    keep = connection.vendor == "sqlite"
    if not keep:
        close_old_connections()
    try:
        yield
    except BaseException:
        connection.close()
        raise
    finally:
        if not keep:
            close_old_connections()
