"""Alembic migrations: a fresh or an old database ends up at head, matching the models."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect

from bot.domain import TicketDraft, TicketType
from bot.stores import open_stores
from bot.stores.sql import alembic_config, metadata

TABLES = {
    "conversations",
    "transcript",
    "tickets",
    "ticket_events",
    "attachments",
    "turns",
    "faq_entries",
    "faq_history",
    "intent_examples",
    "faq_suggestions",
    "training_runs",
}
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _head() -> str:
    [head] = ScriptDirectory.from_config(alembic_config()).get_heads()
    return head


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh' / 'pasokhgoo.db'}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlite_url)
    yield engine
    engine.dispose()


def test_revision_history_has_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    chain = list(script.walk_revisions())  # head back to base, raises on a gap
    assert chain[-1].down_revision is None


def test_fresh_sqlite_database_gets_every_table_at_head(
    sqlite_url: str, engine: Engine, tmp_path: Path
) -> None:
    with open_stores(sqlite_url, tmp_path / "var"):
        pass
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    assert _revision(engine) == _head()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_migrated_schema_matches_the_models(
    sqlite_url: str, engine: Engine, tmp_path: Path
) -> None:
    with open_stores(sqlite_url, tmp_path / "var"):
        pass
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


@pytest.mark.postgres
def test_migrated_postgres_schema_matches_the_models(tmp_path: Path) -> None:
    schema = f"t_{secrets.token_hex(6)}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    engine = create_engine(url)
    try:
        with open_stores(url, tmp_path / "var"):
            pass
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert _revision(engine) == _head()
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_opening_twice_changes_nothing(sqlite_url: str, engine: Engine, tmp_path: Path) -> None:
    draft = TicketDraft(TicketType.TICKET, "ارسال", "کجاست؟", sender_id="u1")
    with open_stores(sqlite_url, tmp_path / "var") as stores:
        code = stores.tickets.create(draft).tracking_code
    with engine.connect() as conn:
        schema_before = conn.exec_driver_sql("SELECT sql FROM sqlite_master ORDER BY name").all()

    with open_stores(sqlite_url, tmp_path / "var") as stores:
        assert stores.tickets.get(code).message == "کجاست؟"

    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT sql FROM sqlite_master ORDER BY name").all()
            == schema_before
        )
    assert _revision(engine) == _head()


def test_an_older_database_is_brought_to_head(
    sqlite_url: str, engine: Engine, tmp_path: Path
) -> None:
    with open_stores(sqlite_url, tmp_path / "var"):
        pass
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert _revision(engine) is None
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}

    with open_stores(sqlite_url, tmp_path / "var"):
        pass
    assert _revision(engine) == _head()
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
