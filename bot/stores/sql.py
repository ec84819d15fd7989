"""The SQL backend (SQLite in WAL mode, or PostgreSQL through psycopg 3), SQLAlchemy Core.

Opening runs Alembic's `upgrade head`, so a fresh database and one from an older release
both end up at the newest schema. Every write is one transaction; a database failure is
raised as `StorageError` and leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import entities
from bot.domain import (
    Attachment,
    Button,
    ConversationState,
    Mode,
    Ticket,
    TicketDraft,
    TicketEvent,
    TicketStatus,
    TicketType,
    TranscriptEntry,
    Turn,
)
from bot.errors import ConfigError, NotFoundError, StorageError
from bot.stores import Stores, as_utc, check_transition, normalize_tracking_code
from bot.stores.attachments import FileAttachmentStore, StoredAttachment
from bot.stores.tables import (  # noqa: F401 - the schema, re-exported for migrations and tests
    attachments,
    conversations,
    faq_entries,
    faq_history,
    faq_suggestions,
    intent_examples,
    metadata,
    ticket_events,
    tickets,
    training_runs,
    transcript,
    turns,
)

__all__ = [
    "MIGRATIONS_DIR",
    "SqlAttachmentIndex",
    "SqlConversationStore",
    "SqlTicketStore",
    "SqlTurnRecorder",
    "alembic_config",
    "metadata",
    "open_sql_stores",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_TRACKING_CODE_ATTEMPTS = 10
_MIGRATION_LOCK = 0x5A50_6B67  # pg_advisory_xact_lock key: one migrating worker at a time


class _Database:
    """An engine plus the two ways this module talks to it: read, and write atomically."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # on SQLite, writers take the write lock at BEGIN (see `_sqlite_engine`)
        self._writer = engine.execution_options(pasokhgoo_write=True)

    @contextmanager
    def read(self, action: str) -> Iterator[Connection]:
        with _storage_errors(action), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self, action: str) -> Iterator[Connection]:
        with _storage_errors(action), self._writer.begin() as conn:
            yield conn


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    try:
        yield
    except (DBAPIError, PoolTimeout) as exc:  # the database's failures, not our bugs
        raise StorageError(f"could not {action}: {_describe(exc)}") from exc


def _describe(exc: DBAPIError | PoolTimeout) -> str:
    """The driver's one-line reason, without the SQL or its parameters (customer data)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        return f"{type(exc.orig).__name__}: {lines[0][:200] if lines else ''}"
    return type(exc).__name__


def open_sql_stores(database_url: str, uploads: Path, max_attachment_bytes: int) -> Stores:
    from bot.stores.knowledge_sql import SqlKnowledgeStore  # it imports this module

    engine = _create_engine(database_url)
    db = _Database(engine)
    try:
        _migrate(db)
    except BaseException:
        engine.dispose()
        raise
    return Stores(
        conversations=SqlConversationStore(db),
        tickets=SqlTicketStore(db),
        attachments=FileAttachmentStore(uploads, SqlAttachmentIndex(db), max_attachment_bytes),
        turns=SqlTurnRecorder(db),
        knowledge=SqlKnowledgeStore(db),
        closer=engine.dispose,
    )


def _create_engine(database_url: str) -> Engine:
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"malformed database URL: {exc}") from exc
    serializer = partial(json.dumps, ensure_ascii=False)  # Persian stays readable in the DB
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, serializer)
    # fail fast when the server is unreachable, unless the URL says otherwise
    timeout = {} if "connect_timeout" in url.query else {"connect_timeout": 10}
    try:
        return create_engine(
            url, pool_pre_ping=True, connect_args=timeout, json_serializer=serializer
        )
    except ImportError as exc:
        raise ConfigError(f"the driver for {url.drivername} is not installed: {exc}") from exc


def _sqlite_engine(url: URL, serializer: Any) -> Engine:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ConfigError(
            "a sqlite URL needs a file path (sqlite:///var/pasokhgoo.db); "
            "use memory:// for a store that lives only in this process"
        )
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"could not create the folder for {database}: {exc}") from exc
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 15},
        json_serializer=serializer,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take BEGIN away from the sqlite3 module so that DDL is transactional too
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer that began DEFERRED could not upgrade its read lock once another
        # writer committed (SQLITE_BUSY without waiting); IMMEDIATE queues it instead.
        writer = conn.get_execution_options().get("pasokhgoo_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our migrations; no alembic.ini is needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _migrate(db: _Database) -> None:
    with db.write("migrate the database schema") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(conn), "head")
        except CommandError as exc:  # not a passing failure: waiting will not fix it
            raise ConfigError(
                f"could not migrate the database schema: {exc} "
                "(was it created by a newer Pasokhgoo?)"
            ) from exc


class SqlConversationStore:
    def __init__(self, db: _Database) -> None:
        self._db = db

    def load(self, sender_id: str) -> ConversationState:
        with self._db.read("load a conversation") as conn:
            state = conn.scalar(
                select(conversations.c.state).where(conversations.c.sender_id == sender_id)
            )
        return ConversationState.from_dict(state) if state else ConversationState(sender_id)

    def save(self, state: ConversationState) -> None:
        updated_at = as_utc(state.updated_at) if state.updated_at else datetime.now(UTC)
        data = state.to_dict() | {"updated_at": updated_at.isoformat()}
        json.dumps(data)  # a TypeError here, as from memory://, not a driver error later
        values = {
            "sender_id": state.sender_id,
            "channel": state.channel,
            "mode": str(state.mode),
            "state": data,
            "operator": state.operator,
            "escalation_reason": state.escalation_reason,
            "updated_at": updated_at,
        }
        with self._db.write("save a conversation") as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            upsert = dialect.insert(conversations).values(values)
            changed = {k: upsert.excluded[k] for k in values if k != "sender_id"}
            conn.execute(upsert.on_conflict_do_update(index_elements=["sender_id"], set_=changed))

    def append(self, entries: Sequence[TranscriptEntry]) -> list[TranscriptEntry]:
        rows = [
            {
                "sender_id": e.sender_id,
                "role": e.role,
                "text": e.text,
                "buttons": [{"title": b.title, "payload": b.payload} for b in e.buttons],
                "at": as_utc(e.at),
            }
            for e in entries
        ]
        stored = []
        with self._db.write("append to a transcript") as conn:
            for row in rows:
                new_id = conn.execute(insert(transcript).values(row)).inserted_primary_key[0]
                stored.append(_transcript_entry(row | {"id": new_id}))
        return stored

    def transcript(
        self, sender_id: str, after_id: int = 0, limit: int = 200
    ) -> list[TranscriptEntry]:
        query = (
            select(transcript)
            .where(transcript.c.sender_id == sender_id, transcript.c.id > after_id)
            .order_by(transcript.c.id)
            .limit(limit)
        )
        with self._db.read("read a transcript") as conn:
            return [_transcript_entry(row._mapping) for row in conn.execute(query)]

    def waiting(self) -> list[ConversationState]:
        query = (
            select(conversations.c.state)
            .where(conversations.c.mode.in_([str(Mode.WAITING), str(Mode.OPERATOR)]))
            .order_by(conversations.c.updated_at, conversations.c.sender_id)
        )
        with self._db.read("list waiting conversations") as conn:
            return [ConversationState.from_dict(state) for state in conn.scalars(query)]


def _transcript_entry(row: Any) -> TranscriptEntry:
    return TranscriptEntry(
        sender_id=row["sender_id"],
        role=row["role"],
        text=row["text"],
        at=row["at"],
        id=row["id"],
        buttons=tuple(Button(b["title"], b["payload"]) for b in row["buttons"]),
    )


class SqlTicketStore:
    def __init__(self, db: _Database) -> None:
        self._db = db

    def create(self, draft: TicketDraft) -> Ticket:
        now = datetime.now(UTC)
        values = {
            "type": str(TicketType(draft.type)),
            "topic": draft.topic,
            "name": draft.name,
            "email": draft.email,
            "phone": draft.phone,
            "order_number": draft.order_number,
            "reason": draft.reason,
            "message": draft.message,
            "status": str(TicketStatus.OPEN),
            "sender_id": draft.sender_id,
            "channel": draft.channel,
            "created_at": now,
            "updated_at": now,
        }
        with self._db.write("create a ticket") as conn:
            code, ticket_id = self._insert_with_fresh_code(conn, values)
            conn.execute(
                insert(ticket_events).values(
                    ticket_id=ticket_id, at=now, actor="customer", status=values["status"], note=""
                )
            )
            if draft.attachment_ids:
                # only the customer's own uploads, and only ones no other ticket holds
                conn.execute(
                    update(attachments)
                    .where(
                        attachments.c.id.in_(draft.attachment_ids),
                        attachments.c.sender_id == draft.sender_id,
                        attachments.c.ticket_id.is_(None),
                    )
                    .values(ticket_id=ticket_id)
                )
            return _fetch_tickets(conn, tickets.c.tracking_code == code)[0]

    @staticmethod
    def _insert_with_fresh_code(conn: Connection, values: dict[str, Any]) -> tuple[str, int]:
        for _ in range(_TRACKING_CODE_ATTEMPTS):
            code = entities.new_tracking_code()
            try:
                with conn.begin_nested():
                    result = conn.execute(insert(tickets).values(values | {"tracking_code": code}))
                return code, result.inserted_primary_key[0]
            except IntegrityError:
                taken = select(tickets.c.id).where(tickets.c.tracking_code == code)
                if conn.scalar(taken) is None:
                    raise  # not a collision: a real constraint violation
        raise StorageError(f"no free tracking code after {_TRACKING_CODE_ATTEMPTS} attempts")

    def get(self, tracking_code: str) -> Ticket | None:
        code = normalize_tracking_code(tracking_code)
        with self._db.read("read a ticket") as conn:
            found = _fetch_tickets(conn, tickets.c.tracking_code == code)
        return found[0] if found else None

    def list(
        self,
        status: TicketStatus | None = None,
        type: TicketType | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Ticket]:
        conditions = []
        if status is not None:
            conditions.append(tickets.c.status == str(TicketStatus(status)))
        if type is not None:
            conditions.append(tickets.c.type == str(TicketType(type)))
        with self._db.read("list tickets") as conn:
            return _fetch_tickets(conn, *conditions, limit=limit, offset=offset)

    def set_status(
        self, tracking_code: str, status: TicketStatus, actor: str, note: str = ""
    ) -> Ticket:
        code = normalize_tracking_code(tracking_code)
        new = TicketStatus(status)
        now = datetime.now(UTC)
        with self._db.write("change a ticket's status") as conn:
            row = conn.execute(
                select(tickets.c.id, tickets.c.status)
                .where(tickets.c.tracking_code == code)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no ticket {code}")
            check_transition(code, TicketStatus(row.status), new)
            conn.execute(
                update(tickets)
                .where(tickets.c.id == row.id)
                .values(status=str(new), updated_at=now)
            )
            conn.execute(
                insert(ticket_events).values(
                    ticket_id=row.id, at=now, actor=actor, status=str(new), note=note
                )
            )
            return _fetch_tickets(conn, tickets.c.id == row.id)[0]


def _fetch_tickets(conn: Connection, *where: Any, limit: int = 1, offset: int = 0) -> list[Ticket]:
    """Tickets newest first, each with its history and attachments (three queries)."""
    rows = conn.execute(
        select(tickets)
        .where(*where)
        .order_by(tickets.c.created_at.desc(), tickets.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    ids = [row.id for row in rows]
    history: dict[int, list[TicketEvent]] = {i: [] for i in ids}
    files: dict[int, list[Attachment]] = {i: [] for i in ids}
    if ids:
        events = select(ticket_events).where(ticket_events.c.ticket_id.in_(ids))
        for ev in conn.execute(events.order_by(ticket_events.c.at, ticket_events.c.id)):
            history[ev.ticket_id].append(
                TicketEvent(at=ev.at, actor=ev.actor, status=TicketStatus(ev.status), note=ev.note)
            )
        linked = select(attachments).where(attachments.c.ticket_id.in_(ids))
        for att in conn.execute(linked.order_by(attachments.c.created_at, attachments.c.id)):
            files[att.ticket_id].append(_attachment(att))
    return [_ticket(row, history[row.id], files[row.id]) for row in rows]


def _ticket(row: Row[Any], history: list[TicketEvent], files: list[Attachment]) -> Ticket:
    return Ticket(
        tracking_code=row.tracking_code,
        type=TicketType(row.type),
        topic=row.topic,
        message=row.message,
        status=TicketStatus(row.status),
        sender_id=row.sender_id,
        channel=row.channel,
        created_at=row.created_at,
        name=row.name,
        email=row.email,
        phone=row.phone,
        order_number=row.order_number,
        reason=row.reason,
        attachments=tuple(files),
        history=tuple(history),
    )


def _attachment(row: Row[Any]) -> Attachment:
    return Attachment(
        id=row.id, kind=row.kind, mime=row.mime, size=row.size, original_name=row.original_name
    )


class SqlAttachmentIndex:
    """Attachment metadata in the `attachments` table; the bytes stay in the uploads folder."""

    def __init__(self, db: _Database) -> None:
        self._db = db

    def add(self, record: StoredAttachment) -> None:
        a = record.attachment
        with self._db.write("store an attachment") as conn:
            conn.execute(
                insert(attachments).values(
                    id=a.id,
                    ticket_id=None,
                    sender_id=record.sender_id,
                    kind=a.kind,
                    mime=a.mime,
                    size=a.size,
                    original_name=a.original_name,
                    stored_name=record.stored_name,
                    created_at=as_utc(record.created_at),
                )
            )

    def find(self, attachment_id: str) -> StoredAttachment | None:
        with self._db.read("read an attachment") as conn:
            row = conn.execute(
                select(attachments).where(attachments.c.id == attachment_id)
            ).one_or_none()
        if row is None:
            return None
        return StoredAttachment(_attachment(row), row.sender_id, row.stored_name, row.created_at)


class SqlTurnRecorder:
    def __init__(self, db: _Database) -> None:
        self._db = db

    def record(self, turn: Turn) -> None:
        with self._db.write("record a turn") as conn:
            conn.execute(
                insert(turns).values(
                    sender_id=turn.sender_id,
                    channel=turn.channel,
                    at=as_utc(turn.at),
                    text=turn.text,
                    intent=turn.intent,
                    confidence=float(turn.confidence),
                    action=turn.action,
                    latency_ms=float(turn.latency_ms),
                    ranking=[[str(name), float(score)] for name, score in turn.ranking],
                    faq_key=turn.faq_key,
                )
            )

    def turns(self, since: datetime | None = None, until: datetime | None = None) -> list[Turn]:
        """Turns with `since <= at < until`, oldest first."""
        query = select(turns).order_by(turns.c.at, turns.c.id)
        if since is not None:
            query = query.where(turns.c.at >= as_utc(since))
        if until is not None:
            query = query.where(turns.c.at < as_utc(until))
        with self._db.read("read turns") as conn:
            return [
                Turn(
                    sender_id=row.sender_id,
                    channel=row.channel,
                    at=row.at,
                    text=row.text,
                    intent=row.intent,
                    confidence=row.confidence,
                    action=row.action,
                    latency_ms=row.latency_ms,
                    ranking=tuple((name, score) for name, score in row.ranking),
                    faq_key=row.faq_key,
                )
                for row in conn.execute(query)
            ]
