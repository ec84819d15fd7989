"""The database schema: every table, as SQLAlchemy Core metadata.

Alembic's migrations (bot/stores/migrations) bring a database to this schema, and
tests/test_migrations.py checks that the migrated schema matches it exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import postgresql

from bot.stores import as_utc

__all__ = [
    "UtcDateTime",
    "attachments",
    "conversations",
    "faq_entries",
    "faq_history",
    "faq_suggestions",
    "intent_examples",
    "metadata",
    "ticket_events",
    "tickets",
    "training_runs",
    "transcript",
    "turns",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which stores no time zone."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite's rowid alias must be spelled INTEGER; PostgreSQL gets 64-bit ids.
_Id = BigInteger().with_variant(Integer(), "sqlite")
_Json = JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

conversations = Table(
    "conversations",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("state", _Json, nullable=False),
    Column("operator", String(255)),
    Column("escalation_reason", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_conversations_mode_updated_at", "mode", "updated_at"),
)

transcript = Table(
    "transcript",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("buttons", _Json, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_transcript_sender_id", "sender_id", "id"),
    sqlite_autoincrement=True,  # ids are polling cursors: never reuse one
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("tracking_code", String(16), nullable=False, unique=True),
    Column("type", String(16), nullable=False),
    Column("topic", Text, nullable=False),
    Column("name", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("order_number", Text),
    Column("reason", Text),
    Column("message", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("sender_id", String(255), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_tickets_created_at", "created_at"),
    Index("ix_tickets_status_created_at", "status", "created_at"),
    Index("ix_tickets_sender_id", "sender_id"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("ticket_id", _Id, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_ticket_events_ticket_id", "ticket_id"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ticket_id", _Id, ForeignKey("tickets.id", ondelete="SET NULL")),
    Column("sender_id", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("mime", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("stored_name", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_attachments_ticket_id", "ticket_id"),
    Index("ix_attachments_sender_id", "sender_id"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("text", Text, nullable=False),
    Column("intent", String(255)),
    Column("confidence", Float, nullable=False),
    Column("action", String(255), nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("ranking", _Json, nullable=False),
    Column("faq_key", String(255)),
    Index("ix_turns_at", "at"),
)

# --- the workbench (bot.knowledge; its store is bot.stores.knowledge_sql) -------------

faq_entries = Table(
    "faq_entries",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("category", String(255), nullable=False),
    Column("questions", _Json, nullable=False),
    Column("answer", Text, nullable=False),
    Column("tags", _Json, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("author", String(255), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("revision", Integer, nullable=False),
)

faq_history = Table(
    "faq_history",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("author", String(255), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("before", _Json),
    Column("after", _Json),
    Column("note", Text, nullable=False),
    Index("ix_faq_history_key", "key", "id"),
    sqlite_autoincrement=True,
)

intent_examples = Table(
    "intent_examples",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("intent", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(255), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_intent_examples_intent", "intent"),
)

faq_suggestions = Table(
    "faq_suggestions",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("operator", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("entry_key", String(64)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_faq_suggestions_status", "status", "id"),
)

training_runs = Table(
    "training_runs",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("author", String(255), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("error", Text),
    Column("findings", _Json, nullable=False),
    Column("data_hash", String(64)),
    Column("counts", _Json, nullable=False),
    Column("knowledge", _Json),
    Index("ix_training_runs_status", "status", "id"),
    sqlite_autoincrement=True,
)
