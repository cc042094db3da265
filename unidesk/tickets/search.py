"""Full-text search over ticket subjects and message text, in the database itself.

PostgreSQL: a stored ``tsvector`` column on messages and an expression index on subjects,
both with the ``russian`` configuration (Russian snowball stems for Cyrillic words, English
stems for Latin ones). SQLite: FTS5 tables filled by triggers that call a Python function
(``unidesk_search_document``) stemming words the same way. The schema is created by the
migration ``0002_search``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from unidesk.core.text import search_terms

_MAX_TERMS = 12


def _fts5_query(q: str) -> str:
    terms = [t for t in search_terms(q) if t][:_MAX_TERMS]
    if not terms:
        return ""
    # Each stem is quoted, so no FTS5 syntax from the user survives; the last one is a
    # prefix so results appear while the word is still being typed.
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def ticket_match(q: str) -> Q | None:
    """A filter on Ticket selecting those whose subject or any message matches ``q``;
    None when the query has no searchable words."""
    q = (q or "").strip()[:500]
    if not q:
        return None
    if connection.vendor == "postgresql":
        sql = (
            "SELECT t.id FROM tickets_ticket t "
            "WHERE to_tsvector('russian', t.subject) @@ websearch_to_tsquery('russian', %s) "
            "UNION SELECT m.ticket_id FROM tickets_message m "
            "WHERE m.search_vector @@ websearch_to_tsquery('russian', %s)"
        )
        return Q(id__in=RawSQL(sql, (q, q)))  # noqa: S611 (constant SQL, bound params)
    expression = _fts5_query(q)
    if not expression:
        return None
    sql = (
        "SELECT rowid FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s "
        "UNION SELECT ticket_id FROM tickets_message_fts WHERE tickets_message_fts MATCH %s"
    )
    return Q(id__in=RawSQL(sql, (expression, expression)))  # noqa: S611 (bound params)


SQLITE_SCHEMA = [
    "CREATE VIRTUAL TABLE tickets_ticket_fts USING fts5("
    "document, tokenize='unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE tickets_message_fts USING fts5("
    "document, ticket_id UNINDEXED, tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(rowid, document) "
    "VALUES (new.id, unidesk_search_document(new.subject)); END",
    "CREATE TRIGGER tickets_ticket_fts_au AFTER UPDATE OF subject ON tickets_ticket BEGIN "
    "DELETE FROM tickets_ticket_fts WHERE rowid = old.id; "
    "INSERT INTO tickets_ticket_fts(rowid, document) "
    "VALUES (new.id, unidesk_search_document(new.subject)); END",
    "CREATE TRIGGER tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN "
    "DELETE FROM tickets_ticket_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER tickets_message_fts_ai AFTER INSERT ON tickets_message "
    "WHEN new.direction != 'system' BEGIN "
    "INSERT INTO tickets_message_fts(rowid, document, ticket_id) "
    "VALUES (new.id, unidesk_search_document(new.text), new.ticket_id); END",
    "CREATE TRIGGER tickets_message_fts_au AFTER UPDATE OF text, ticket_id ON tickets_message "
    "WHEN new.direction != 'system' BEGIN "
    "DELETE FROM tickets_message_fts WHERE rowid = old.id; "
    "INSERT INTO tickets_message_fts(rowid, document, ticket_id) "
    "VALUES (new.id, unidesk_search_document(new.text), new.ticket_id); END",
    "CREATE TRIGGER tickets_message_fts_ad AFTER DELETE ON tickets_message BEGIN "
    "DELETE FROM tickets_message_fts WHERE rowid = old.id; END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS tickets_message_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_message_fts_au",
    "DROP TRIGGER IF EXISTS tickets_message_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TABLE IF EXISTS tickets_message_fts",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
]

POSTGRES_SCHEMA = [
    "ALTER TABLE tickets_message ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('russian', left(text, 200000))) STORED",
    "CREATE INDEX tickets_message_search ON tickets_message USING gin (search_vector)",
    "CREATE INDEX tickets_ticket_subject_search ON tickets_ticket "
    "USING gin (to_tsvector('russian', subject))",
    "CREATE SEQUENCE IF NOT EXISTS tickets_ticket_number_seq START WITH 1001",
]

POSTGRES_DROP = [
    "DROP INDEX IF EXISTS tickets_ticket_subject_search",
    "DROP INDEX IF EXISTS tickets_message_search",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector",
    "DROP SEQUENCE IF EXISTS tickets_ticket_number_seq",
]
