"""What the workbench stores: FAQ entries and their history, extra intent examples,
operator-answer drafts and training runs — plain dataclasses with JSON forms."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.training_data import FAQ_PREFIX

__all__ = [
    "EntryChange",
    "FaqEntry",
    "HistoryRecord",
    "IntentExample",
    "RunStatus",
    "Suggestion",
    "SuggestionStatus",
    "TrainingRun",
]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One FAQ answer with the question variants that ask for it.

    `enabled` entries are answered after the next training; a disabled entry is kept as a
    draft (it may still lack an answer or variants). `revision` counts saved changes, so
    an editor can say which version they changed (a stale one is refused).
    """

    key: str
    questions: tuple[str, ...]
    answer: str
    title: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    enabled: bool = True
    author: str = ""
    updated_at: datetime | None = None
    revision: int = 0

    @property
    def intent(self) -> str:
        return FAQ_PREFIX + self.key

    def content(self) -> tuple:
        """What an editor changes; equal content means nothing to save."""
        return (
            self.key,
            self.questions,
            self.answer,
            self.title,
            self.category,
            self.tags,
            self.enabled,
        )

    def stamped(self, author: str, at: datetime, revision: int) -> FaqEntry:
        return replace(self, author=author, updated_at=at, revision=revision)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "category": self.category,
            "questions": list(self.questions),
            "answer": self.answer,
            "tags": list(self.tags),
            "enabled": self.enabled,
            "author": self.author,
            "updated_at": _iso(self.updated_at),
            "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaqEntry:
        return cls(
            key=str(data["key"]),
            questions=tuple(data.get("questions") or ()),
            answer=str(data.get("answer") or ""),
            title=str(data.get("title") or ""),
            category=str(data.get("category") or ""),
            tags=tuple(data.get("tags") or ()),
            enabled=bool(data.get("enabled", True)),
            author=str(data.get("author") or ""),
            updated_at=_moment(data.get("updated_at")),
            revision=int(data.get("revision") or 0),
        )


@dataclass(frozen=True, slots=True)
class EntryChange:
    """Write `after` (None deletes) if the stored entry is still at `expected_revision`
    (0: the key must be free)."""

    key: str
    expected_revision: int
    after: FaqEntry | None


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One saved change: who, when, what it was before and after (None: absent)."""

    id: int
    key: str
    action: str  # create | update | delete | revert | import | seed | promote | accept
    author: str
    at: datetime
    before: FaqEntry | None
    after: FaqEntry | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "action": self.action,
            "author": self.author,
            "at": self.at.isoformat(),
            "note": self.note,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
        }


@dataclass(frozen=True, slots=True)
class IntentExample:
    """A training sentence added to an intent from the workbench (nlu_data keeps the rest)."""

    intent: str
    text: str
    author: str
    created_at: datetime
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "intent": self.intent,
            "text": self.text,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
        }


class SuggestionStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A draft FAQ entry offered from an operator's answer to an escalated question."""

    sender_id: str
    question: str
    answer: str
    operator: str
    created_at: datetime
    updated_at: datetime
    status: SuggestionStatus = SuggestionStatus.OPEN
    entry_key: str | None = None  # the FAQ entry it became
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sender_id": self.sender_id,
            "question": self.question,
            "answer": self.answer,
            "operator": self.operator,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "status": str(self.status),
            "entry_key": self.entry_key,
            "draft": {"questions": [self.question], "answer": self.answer},
        }


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class TrainingRun:
    """One training: its progress while it runs, and on success the release other
    workers load (`knowledge`: the responses, titles and synonyms the model serves with)."""

    id: int
    author: str
    started_at: datetime
    updated_at: datetime
    status: RunStatus = RunStatus.RUNNING
    stage: str = "queued"
    finished_at: datetime | None = None
    error: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    data_hash: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    knowledge: dict[str, Any] | None = None

    def to_dict(self, findings: bool = True) -> dict[str, Any]:
        """`findings`: include the validation findings (errors and warnings)."""
        return {
            "id": self.id,
            "status": str(self.status),
            "stage": self.stage,
            "author": self.author,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": _iso(self.finished_at),
            "error": self.error,
            "findings": self.findings if findings else None,
            "data_hash": self.data_hash,
            "counts": self.counts,
        }
