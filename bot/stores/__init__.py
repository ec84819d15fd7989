"""Storage backends for conversations, tickets, attachments, turns and the workbench's
knowledge, chosen by URL.

    memory://                          everything in this process (tests, demos)
    sqlite:///var/pasokhgoo.db         one file, WAL mode
    postgresql+psycopg://user@host/db  the production database

`open_stores(url, var_dir)` brings the database schema to the newest migration and returns
the four ports of `bot.ports`. Uploaded files always live under `var_dir/uploads`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from bot.domain import TICKET_TRANSITIONS, TicketStatus
from bot.errors import ConfigError, TicketTransitionError
from bot.ports import (
    AttachmentStore,
    ConversationStore,
    KnowledgeStore,
    TicketStore,
    TurnRecorder,
)

__all__ = [
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "Stores",
    "as_utc",
    "check_transition",
    "normalize_tracking_code",
    "open_stores",
]

DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass
class Stores:
    conversations: ConversationStore
    tickets: TicketStore
    attachments: AttachmentStore
    turns: TurnRecorder
    knowledge: KnowledgeStore  # the workbench's FAQ entries, examples, drafts, runs
    closer: Callable[[], None] = field(default=lambda: None, repr=False)

    def close(self) -> None:
        """Release database connections; the stores must not be used afterwards."""
        self.closer()

    def __enter__(self) -> Stores:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_stores(
    database_url: str,
    var_dir: Path,
    *,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> Stores:
    """The backend `database_url` names, migrated to the newest schema.

    Raises `ConfigError` for an unknown scheme and `StorageError` when the database
    cannot be reached or migrated.
    """
    scheme = database_url.partition("://")[0].lower() if "://" in database_url else ""
    uploads = Path(var_dir) / "uploads"
    if scheme == "memory":
        from bot.stores.memory import open_memory_stores

        return open_memory_stores(uploads, max_attachment_bytes)
    if scheme in {"sqlite", "postgresql+psycopg"}:
        from bot.stores.sql import open_sql_stores

        return open_sql_stores(database_url, uploads, max_attachment_bytes)
    hint = (
        " (PostgreSQL goes through psycopg 3: postgresql+psycopg://)"
        if "postgres" in scheme
        else ""
    )
    raise ConfigError(
        f"unsupported database URL scheme {scheme or '(none)'!r}{hint}; "
        "use memory://, sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
    )


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused, since its zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp {moment.isoformat()} has no time zone; pass an aware one")
    return moment.astimezone(UTC)


def check_transition(tracking_code: str, current: TicketStatus, new: TicketStatus) -> None:
    if new not in TICKET_TRANSITIONS[current]:
        allowed = ", ".join(sorted(TICKET_TRANSITIONS[current])) or "none, it is final"
        raise TicketTransitionError(
            f"ticket {tracking_code} cannot go from {current} to {new} (allowed: {allowed})"
        )


def normalize_tracking_code(code: str) -> str:
    """Codes as customers type them: 'pg-7k3q9p ' finds PG-7K3Q9P."""
    return code.strip().upper()
