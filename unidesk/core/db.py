"""Database-specific setup that has to run on every new connection."""

from __future__ import annotations

from typing import Any

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
