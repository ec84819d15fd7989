"""The in-process backend for tests and `memory://`: the same behaviour as SQL, no database.

Everything sits behind one lock, so it is safe from FastAPI's thread pool. States go
through JSON on the way in and out, as in the database, so a state that would not
survive SQL does not survive here either. Uploaded bytes still go to `var_dir/uploads`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot import entities
from bot.domain import (
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
from bot.errors import NotFoundError, StorageError
from bot.stores import Stores, as_utc, check_transition, normalize_tracking_code
from bot.stores.attachments import FileAttachmentStore, StoredAttachment
from bot.stores.knowledge_memory import MemoryKnowledgeStore

__all__ = [
    "MemoryAttachmentIndex",
    "MemoryConversationStore",
    "MemoryTicketStore",
    "MemoryTurnRecorder",
    "open_memory_stores",
]

_TRACKING_CODE_ATTEMPTS = 10


@dataclass
class _LinkedAttachment:
    record: StoredAttachment
    ticket: str | None = None  # tracking code, once a ticket holds it


@dataclass
class _Memory:
    """The whole "database": one lock, plain containers."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    conversations: dict[str, str] = field(default_factory=dict)  # sender_id → state JSON
    transcript: list[TranscriptEntry] = field(default_factory=list)
    tickets: dict[str, Ticket] = field(default_factory=dict)  # in creation order
    attachments: dict[str, _LinkedAttachment] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)


def open_memory_stores(uploads: Path, max_attachment_bytes: int) -> Stores:
    memory = _Memory()
    return Stores(
        conversations=MemoryConversationStore(memory),
        tickets=MemoryTicketStore(memory),
        attachments=FileAttachmentStore(
            uploads, MemoryAttachmentIndex(memory), max_attachment_bytes
        ),
        turns=MemoryTurnRecorder(memory),
        knowledge=MemoryKnowledgeStore(),
    )


class MemoryConversationStore:
    def __init__(self, memory: _Memory) -> None:
        self._m = memory

    def load(self, sender_id: str) -> ConversationState:
        with self._m.lock:
            saved = self._m.conversations.get(sender_id)
        if saved is None:
            return ConversationState(sender_id)
        return ConversationState.from_dict(json.loads(saved))

    def save(self, state: ConversationState) -> None:
        updated_at = as_utc(state.updated_at) if state.updated_at else datetime.now(UTC)
        data = state.to_dict() | {"updated_at": updated_at.isoformat()}
        encoded = json.dumps(data, ensure_ascii=False)
        with self._m.lock:
            self._m.conversations[state.sender_id] = encoded

    def append(self, entries: Sequence[TranscriptEntry]) -> list[TranscriptEntry]:
        with self._m.lock:
            next_id = len(self._m.transcript) + 1
            stored = [
                replace(e, id=next_id + i, at=as_utc(e.at), buttons=tuple(e.buttons))
                for i, e in enumerate(entries)
            ]
            self._m.transcript.extend(stored)
        return stored

    def transcript(
        self, sender_id: str, after_id: int = 0, limit: int = 200
    ) -> list[TranscriptEntry]:
        with self._m.lock:
            lines = [e for e in self._m.transcript[max(after_id, 0) :] if e.sender_id == sender_id]
        return lines[:limit]

    def waiting(self) -> list[ConversationState]:
        with self._m.lock:
            saved = list(self._m.conversations.values())
        states = [ConversationState.from_dict(json.loads(s)) for s in saved]
        held = [s for s in states if s.mode in (Mode.WAITING, Mode.OPERATOR)]
        return sorted(held, key=lambda s: (s.updated_at, s.sender_id))


class MemoryTicketStore:
    def __init__(self, memory: _Memory) -> None:
        self._m = memory

    def create(self, draft: TicketDraft) -> Ticket:
        now = datetime.now(UTC)
        with self._m.lock:
            for _ in range(_TRACKING_CODE_ATTEMPTS):
                code = entities.new_tracking_code()
                if code not in self._m.tickets:
                    break
            else:
                raise StorageError(
                    f"no free tracking code after {_TRACKING_CODE_ATTEMPTS} attempts"
                )
            self._m.tickets[code] = Ticket(
                tracking_code=code,
                type=TicketType(draft.type),
                topic=draft.topic,
                message=draft.message,
                status=TicketStatus.OPEN,
                sender_id=draft.sender_id,
                channel=draft.channel,
                created_at=now,
                name=draft.name,
                email=draft.email,
                phone=draft.phone,
                order_number=draft.order_number,
                reason=draft.reason,
                history=(TicketEvent(at=now, actor="customer", status=TicketStatus.OPEN),),
            )
            for attachment_id in draft.attachment_ids:
                # only the customer's own uploads, and only ones no other ticket holds
                linked = self._m.attachments.get(attachment_id)
                if linked and linked.record.sender_id == draft.sender_id and not linked.ticket:
                    linked.ticket = code
            return self._with_attachments(self._m.tickets[code])

    def get(self, tracking_code: str) -> Ticket | None:
        with self._m.lock:
            ticket = self._m.tickets.get(normalize_tracking_code(tracking_code))
            return self._with_attachments(ticket) if ticket else None

    def list(
        self,
        status: TicketStatus | None = None,
        type: TicketType | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Ticket]:
        with self._m.lock:
            newest_first = reversed(self._m.tickets.values())
            chosen = [
                t
                for t in newest_first
                if (status is None or t.status == status) and (type is None or t.type == type)
            ]
            return [self._with_attachments(t) for t in chosen[offset : offset + limit]]

    def set_status(
        self, tracking_code: str, status: TicketStatus, actor: str, note: str = ""
    ) -> Ticket:
        code = normalize_tracking_code(tracking_code)
        new = TicketStatus(status)
        with self._m.lock:
            ticket = self._m.tickets.get(code)
            if ticket is None:
                raise NotFoundError(f"no ticket {code}")
            check_transition(code, ticket.status, new)
            event = TicketEvent(at=datetime.now(UTC), actor=actor, status=new, note=note)
            ticket = replace(ticket, status=new, history=(*ticket.history, event))
            self._m.tickets[code] = ticket
            return self._with_attachments(ticket)

    def _with_attachments(self, ticket: Ticket) -> Ticket:
        files = [
            linked.record
            for linked in self._m.attachments.values()
            if linked.ticket == ticket.tracking_code
        ]
        files.sort(key=lambda r: r.created_at)
        return replace(ticket, attachments=tuple(r.attachment for r in files))


class MemoryAttachmentIndex:
    def __init__(self, memory: _Memory) -> None:
        self._m = memory

    def add(self, record: StoredAttachment) -> None:
        with self._m.lock:
            self._m.attachments[record.attachment.id] = _LinkedAttachment(record)

    def find(self, attachment_id: str) -> StoredAttachment | None:
        with self._m.lock:
            linked = self._m.attachments.get(attachment_id)
        return linked.record if linked else None


class MemoryTurnRecorder:
    def __init__(self, memory: _Memory) -> None:
        self._m = memory

    def record(self, turn: Turn) -> None:
        ranking = tuple((str(name), float(score)) for name, score in turn.ranking)
        stored = replace(
            turn,
            at=as_utc(turn.at),
            confidence=float(turn.confidence),
            latency_ms=float(turn.latency_ms),
            ranking=ranking,
        )
        with self._m.lock:
            self._m.turns.append(stored)

    def turns(self, since: datetime | None = None, until: datetime | None = None) -> list[Turn]:
        """Turns with `since <= at < until`, oldest first."""
        low = as_utc(since) if since else None
        high = as_utc(until) if until else None
        with self._m.lock:
            chosen = [
                t
                for t in self._m.turns
                if (low is None or t.at >= low) and (high is None or t.at < high)
            ]
        return sorted(chosen, key=lambda t: t.at)
