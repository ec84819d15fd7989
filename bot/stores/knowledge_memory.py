"""The workbench's store in this process (`memory://`): the SQL store's behaviour, no database."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.errors import EditConflictError, NotFoundError
from bot.knowledge.records import (
    EntryChange,
    FaqEntry,
    HistoryRecord,
    IntentExample,
    RunStatus,
    Suggestion,
    SuggestionStatus,
    TrainingRun,
)
from bot.stores import as_utc

__all__ = ["MemoryKnowledgeStore"]


@dataclass
class _Knowledge:
    lock: threading.RLock = field(default_factory=threading.RLock)
    entries: dict[str, FaqEntry] = field(default_factory=dict)
    history: list[HistoryRecord] = field(default_factory=list)
    examples: list[IntentExample] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    runs: list[TrainingRun] = field(default_factory=list)
    next_example_id: int = 1


def _copy(run: TrainingRun) -> TrainingRun:
    return replace(run, findings=list(run.findings), counts=dict(run.counts))


class MemoryKnowledgeStore:
    def __init__(self) -> None:
        self._k = _Knowledge()

    def entries(self) -> list[FaqEntry]:
        with self._k.lock:
            return [self._k.entries[key] for key in sorted(self._k.entries)]

    def entry(self, key: str) -> FaqEntry | None:
        with self._k.lock:
            return self._k.entries.get(key)

    def write(
        self, changes: Sequence[EntryChange], action: str, author: str, at: datetime, note: str = ""
    ) -> list[HistoryRecord]:
        at = as_utc(at)
        with self._k.lock:
            for change in changes:  # check all first: all or nothing
                current = self._k.entries.get(change.key)
                if (current.revision if current else 0) != change.expected_revision:
                    raise EditConflictError(
                        f"the FAQ entry {change.key!r} was changed by someone else; "
                        "reload it and retry"
                    )
            records = []
            for change in changes:
                before = self._k.entries.get(change.key)
                if change.after is None:
                    self._k.entries.pop(change.key, None)
                else:
                    self._k.entries[change.key] = change.after
                number = len(self._k.history) + 1
                record = HistoryRecord(
                    number, change.key, action, author, at, before, change.after, note
                )
                self._k.history.append(record)
                records.append(record)
            return records

    def seed(self, entries: Sequence[FaqEntry], at: datetime) -> list[str]:
        at = as_utc(at)
        with self._k.lock:
            known = {r.key for r in self._k.history} | set(self._k.entries)
            fresh = [e.stamped(e.author, at, 1) for e in entries if e.key not in known]
            for entry in fresh:
                self._k.entries[entry.key] = entry
                number = len(self._k.history) + 1
                record = HistoryRecord(number, entry.key, "seed", entry.author, at, None, entry)
                self._k.history.append(record)
            return [e.key for e in fresh]

    def history(self, key: str | None = None, limit: int = 100) -> list[HistoryRecord]:
        with self._k.lock:
            chosen = [r for r in reversed(self._k.history) if key is None or r.key == key]
        return chosen[:limit]

    def history_record(self, record_id: int) -> HistoryRecord | None:
        with self._k.lock:
            found = [r for r in self._k.history if r.id == record_id]
        return found[0] if found else None

    def examples(self, intent: str | None = None) -> list[IntentExample]:
        with self._k.lock:
            return [x for x in self._k.examples if intent is None or x.intent == intent]

    def add_examples(self, examples: Sequence[IntentExample]) -> list[IntentExample]:
        with self._k.lock:
            stored = []
            for x in examples:
                stored.append(
                    replace(x, id=self._k.next_example_id, created_at=as_utc(x.created_at))
                )
                self._k.next_example_id += 1
            self._k.examples.extend(stored)
        return stored

    def remove_example(self, example_id: int) -> IntentExample | None:
        with self._k.lock:
            for i, x in enumerate(self._k.examples):
                if x.id == example_id:
                    return self._k.examples.pop(i)
        return None

    def offer(self, suggestion: Suggestion) -> Suggestion:
        with self._k.lock:
            for i in reversed(range(len(self._k.suggestions))):
                old = self._k.suggestions[i]
                if (
                    old.sender_id == suggestion.sender_id
                    and old.question == suggestion.question
                    and old.status is SuggestionStatus.OPEN
                ):
                    merged = replace(
                        old,
                        answer=f"{old.answer}\n{suggestion.answer}",
                        updated_at=as_utc(suggestion.updated_at),
                    )
                    self._k.suggestions[i] = merged
                    return merged
            stored = replace(
                suggestion,
                id=len(self._k.suggestions) + 1,
                created_at=as_utc(suggestion.created_at),
                updated_at=as_utc(suggestion.updated_at),
            )
            self._k.suggestions.append(stored)
            return stored

    def suggestions(
        self, status: SuggestionStatus | None = None, limit: int = 100
    ) -> list[Suggestion]:
        with self._k.lock:
            chosen = [s for s in reversed(self._k.suggestions) if status in (None, s.status)]
        return chosen[:limit]

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        with self._k.lock:
            found = [s for s in self._k.suggestions if s.id == suggestion_id]
        return found[0] if found else None

    def close_suggestion(
        self, suggestion_id: int, status: SuggestionStatus, entry_key: str | None, at: datetime
    ) -> Suggestion:
        with self._k.lock:
            for i, s in enumerate(self._k.suggestions):
                if s.id == suggestion_id:
                    closed = replace(s, status=status, entry_key=entry_key, updated_at=as_utc(at))
                    self._k.suggestions[i] = closed
                    return closed
        raise NotFoundError(f"no FAQ draft {suggestion_id}")

    def begin_run(self, author: str, at: datetime, stale_before: datetime) -> TrainingRun | None:
        at = as_utc(at)
        with self._k.lock:
            running = [r for r in self._k.runs if r.status is RunStatus.RUNNING]
            if any(r.updated_at >= as_utc(stale_before) for r in running):
                return None
            for r in running:
                r.status, r.stage, r.finished_at = RunStatus.FAILED, "failed", at
                r.error = "abandoned: its process stopped reporting progress"
            run = TrainingRun(id=len(self._k.runs) + 1, author=author, started_at=at, updated_at=at)
            self._k.runs.append(run)
            return _copy(run)

    def save_run(self, run: TrainingRun) -> None:
        with self._k.lock:
            self._k.runs[run.id - 1] = _copy(run)

    def runs(self, limit: int = 10) -> list[TrainingRun]:
        with self._k.lock:
            return [_copy(r) for r in reversed(self._k.runs)][:limit]

    def latest_release(self) -> TrainingRun | None:
        with self._k.lock:
            done = [r for r in self._k.runs if r.status is RunStatus.SUCCEEDED]
            return _copy(done[-1]) if done else None
