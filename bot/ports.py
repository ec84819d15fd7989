"""The engine's ports: small Protocols that storage and delivery backends implement.

Backends are chosen by URL scheme (`sqlite://`, `postgresql+psycopg://`, `memory://`) in
`bot.stores.open_stores`; the engine only ever sees these interfaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain import (
    Attachment,
    ConversationState,
    Ticket,
    TicketDraft,
    TicketStatus,
    TicketType,
    TranscriptEntry,
    Turn,
)
from bot.knowledge.records import (
    EntryChange,
    FaqEntry,
    HistoryRecord,
    IntentExample,
    Suggestion,
    SuggestionStatus,
    TrainingRun,
)

__all__ = [
    "AttachmentStore",
    "ConversationStore",
    "KnowledgeStore",
    "TicketStore",
    "TurnRecorder",
]


class ConversationStore(Protocol):
    def load(self, sender_id: str) -> ConversationState:
        """The saved state, or a fresh one for a new sender."""

    def save(self, state: ConversationState) -> None: ...

    def append(self, entries: Sequence[TranscriptEntry]) -> list[TranscriptEntry]:
        """Store transcript lines; returns them with their ids (increasing per store)."""

    def transcript(
        self, sender_id: str, after_id: int = 0, limit: int = 200
    ) -> list[TranscriptEntry]: ...

    def waiting(self) -> list[ConversationState]:
        """Conversations waiting for or held by an operator, oldest first."""


class TicketStore(Protocol):
    def create(self, draft: TicketDraft) -> Ticket:
        """Commit the ticket before returning: an acknowledged ticket is in the database."""

    def get(self, tracking_code: str) -> Ticket | None: ...

    def list(
        self,
        status: TicketStatus | None = None,
        type: TicketType | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Ticket]: ...

    def set_status(
        self, tracking_code: str, status: TicketStatus, actor: str, note: str = ""
    ) -> Ticket:
        """Raises ValueError for a transition `TICKET_TRANSITIONS` does not allow."""


class AttachmentStore(Protocol):
    def save(self, sender_id: str, filename: str, content: bytes) -> Attachment:
        """Checks the type by content and the size; stores under a random name."""

    def open(self, attachment_id: str) -> tuple[Attachment, bytes]: ...


class TurnRecorder(Protocol):
    def record(self, turn: Turn) -> None: ...

    def turns(self, since: datetime | None = None, until: datetime | None = None) -> list[Turn]: ...


class KnowledgeStore(Protocol):
    """The workbench's data (`bot.knowledge`): every write is one transaction."""

    def entries(self) -> list[FaqEntry]:
        """Every FAQ entry, by key."""

    def entry(self, key: str) -> FaqEntry | None: ...

    def write(
        self, changes: Sequence[EntryChange], action: str, author: str, at: datetime, note: str = ""
    ) -> list[HistoryRecord]:
        """Apply all changes and their history, or none: raises EditConflictError when an
        entry is no longer at the change's expected revision."""

    def seed(self, entries: Sequence[FaqEntry], at: datetime) -> list[str]:
        """Add the entries whose key has no history at all (never seeded, never deleted);
        returns their keys. Safe when several workers start at once."""

    def history(self, key: str | None = None, limit: int = 100) -> list[HistoryRecord]:
        """Changes, newest first."""

    def history_record(self, record_id: int) -> HistoryRecord | None: ...

    def examples(self, intent: str | None = None) -> list[IntentExample]: ...

    def add_examples(self, examples: Sequence[IntentExample]) -> list[IntentExample]: ...

    def remove_example(self, example_id: int) -> IntentExample | None: ...

    def offer(self, suggestion: Suggestion) -> Suggestion:
        """Store a draft from an operator's answer; a further answer to the same open
        question of the same customer is appended to it."""

    def suggestions(
        self, status: SuggestionStatus | None = None, limit: int = 100
    ) -> list[Suggestion]:
        """Newest first."""

    def suggestion(self, suggestion_id: int) -> Suggestion | None: ...

    def close_suggestion(
        self, suggestion_id: int, status: SuggestionStatus, entry_key: str | None, at: datetime
    ) -> Suggestion:
        """Raises NotFoundError for an unknown id."""

    def begin_run(self, author: str, at: datetime, stale_before: datetime) -> TrainingRun | None:
        """Start a training run, or None while another started or moved after
        `stale_before` (an older one is marked failed: its process is gone)."""

    def save_run(self, run: TrainingRun) -> None: ...

    def runs(self, limit: int = 10) -> list[TrainingRun]:
        """Newest first."""

    def latest_release(self) -> TrainingRun | None:
        """The newest succeeded run: the model every worker should serve."""
