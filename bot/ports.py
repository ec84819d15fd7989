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

__all__ = [
    "AttachmentStore",
    "ConversationStore",
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
