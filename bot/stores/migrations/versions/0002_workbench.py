"""The content team's workbench: FAQ entries and their history, intent examples added from
the workbench, drafts from operators' answers, training runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# spelled out here, not imported from bot.stores.sql: a migration is frozen in time
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TABLES = ("faq_entries", "faq_history", "intent_examples", "faq_suggestions", "training_runs")


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "faq_entries",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.String(255), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        _timestamp("updated_at"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_faq_entries"),
    )

    op.create_table(
        "faq_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        _timestamp("at"),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faq_history"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_faq_history_key", "faq_history", ["key", "id"])

    op.create_table(
        "intent_examples",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("intent", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_intent_examples"),
    )
    op.create_index("ix_intent_examples_intent", "intent_examples", ["intent"])

    op.create_table(
        "faq_suggestions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_faq_suggestions"),
    )
    op.create_index("ix_faq_suggestions_status", "faq_suggestions", ["status", "id"])

    op.create_table(
        "training_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        _timestamp("started_at"),
        _timestamp("updated_at"),
        _timestamp("finished_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("data_hash", sa.String(64), nullable=True),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("knowledge", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_training_runs"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_training_runs_status", "training_runs", ["status", "id"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
