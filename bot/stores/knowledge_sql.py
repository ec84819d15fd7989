"""The workbench's store on SQL (`bot.ports.KnowledgeStore`); tables in `bot.stores.sql`.

Every write is one transaction. Seeding and starting a training run take a PostgreSQL
advisory lock, so workers starting together neither seed twice nor train twice; SQLite
writers are serialised by BEGIN IMMEDIATE already.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

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
from bot.stores.sql import (
    _Database,
    faq_entries,
    faq_history,
    faq_suggestions,
    intent_examples,
    training_runs,
)

__all__ = ["SqlKnowledgeStore"]

_SEED_LOCK = 0x5A50_6B68
_RUN_LOCK = 0x5A50_6B69


def _lock(conn: Connection, key: int) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _entry_values(entry: FaqEntry) -> dict[str, Any]:
    assert entry.updated_at is not None
    return {
        "key": entry.key,
        "title": entry.title,
        "category": entry.category,
        "questions": list(entry.questions),
        "answer": entry.answer,
        "tags": list(entry.tags),
        "enabled": entry.enabled,
        "author": entry.author,
        "updated_at": as_utc(entry.updated_at),
        "revision": entry.revision,
    }


def _entry(row: Any) -> FaqEntry:
    return FaqEntry(
        key=row.key,
        questions=tuple(row.questions),
        answer=row.answer,
        title=row.title,
        category=row.category,
        tags=tuple(row.tags),
        enabled=bool(row.enabled),
        author=row.author,
        updated_at=row.updated_at,
        revision=row.revision,
    )


def _record(row: Any) -> HistoryRecord:
    return HistoryRecord(
        id=row.id,
        key=row.key,
        action=row.action,
        author=row.author,
        at=row.at,
        before=FaqEntry.from_dict(row.before) if row.before else None,
        after=FaqEntry.from_dict(row.after) if row.after else None,
        note=row.note,
    )


def _suggestion(row: Any) -> Suggestion:
    return Suggestion(
        id=row.id,
        sender_id=row.sender_id,
        question=row.question,
        answer=row.answer,
        operator=row.operator,
        status=SuggestionStatus(row.status),
        entry_key=row.entry_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _run(row: Any) -> TrainingRun:
    return TrainingRun(
        id=row.id,
        status=RunStatus(row.status),
        stage=row.stage,
        author=row.author,
        started_at=row.started_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        error=row.error,
        findings=list(row.findings),
        data_hash=row.data_hash,
        counts=dict(row.counts),
        knowledge=row.knowledge,
    )


def _run_values(run: TrainingRun) -> dict[str, Any]:
    return {
        "status": str(run.status),
        "stage": run.stage,
        "author": run.author,
        "started_at": as_utc(run.started_at),
        "updated_at": as_utc(run.updated_at),
        "finished_at": as_utc(run.finished_at) if run.finished_at else None,
        "error": run.error,
        "findings": run.findings,
        "data_hash": run.data_hash,
        "counts": run.counts,
        "knowledge": run.knowledge,
    }


class SqlKnowledgeStore:
    def __init__(self, db: _Database) -> None:
        self._db = db

    # --- FAQ entries and history --------------------------------------------------------

    def entries(self) -> list[FaqEntry]:
        with self._db.read("read FAQ entries") as conn:
            return [
                _entry(r) for r in conn.execute(select(faq_entries).order_by(faq_entries.c.key))
            ]

    def entry(self, key: str) -> FaqEntry | None:
        with self._db.read("read a FAQ entry") as conn:
            row = conn.execute(select(faq_entries).where(faq_entries.c.key == key)).one_or_none()
        return _entry(row) if row else None

    def write(
        self, changes: Sequence[EntryChange], action: str, author: str, at: datetime, note: str = ""
    ) -> list[HistoryRecord]:
        records = []
        with self._db.write("save FAQ entries") as conn:
            for change in changes:
                records.append(self._apply(conn, change, action, author, at, note))
        return records

    def _apply(
        self,
        conn: Connection,
        change: EntryChange,
        action: str,
        author: str,
        at: datetime,
        note: str,
    ) -> HistoryRecord:
        by_key = faq_entries.c.key == change.key
        row = conn.execute(select(faq_entries).where(by_key).with_for_update()).one_or_none()
        before = _entry(row) if row else None
        if (before.revision if before else 0) != change.expected_revision:
            raise EditConflictError(
                f"the FAQ entry {change.key!r} was changed by someone else; reload it and retry"
            )
        if change.after is None:
            conn.execute(delete(faq_entries).where(by_key))
        elif before is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(faq_entries).values(_entry_values(change.after)))
            except IntegrityError as exc:  # created meanwhile by another worker
                raise EditConflictError(f"the FAQ entry {change.key!r} exists now") from exc
        else:
            conn.execute(update(faq_entries).where(by_key).values(_entry_values(change.after)))
        values = {
            "key": change.key,
            "action": action,
            "author": author,
            "at": as_utc(at),
            "before": before.to_dict() if before else None,
            "after": change.after.to_dict() if change.after else None,
            "note": note,
        }
        new_id = conn.execute(insert(faq_history).values(values)).inserted_primary_key[0]
        return HistoryRecord(new_id, change.key, action, author, at, before, change.after, note)

    def seed(self, entries: Sequence[FaqEntry], at: datetime) -> list[str]:
        if not entries:
            return []
        with self._db.write("seed FAQ entries") as conn:
            _lock(conn, _SEED_LOCK)
            keys = [e.key for e in entries]
            known = set(
                conn.scalars(select(faq_history.c.key).where(faq_history.c.key.in_(keys)))
            ) | set(conn.scalars(select(faq_entries.c.key).where(faq_entries.c.key.in_(keys))))
            added = []
            for entry in entries:
                if entry.key in known:
                    continue
                stamped = entry.stamped(entry.author, at, 1)
                conn.execute(insert(faq_entries).values(_entry_values(stamped)))
                conn.execute(
                    insert(faq_history).values(
                        key=entry.key,
                        action="seed",
                        author=entry.author,
                        at=as_utc(at),
                        before=None,
                        after=stamped.to_dict(),
                        note="",
                    )
                )
                added.append(entry.key)
        return added

    def history(self, key: str | None = None, limit: int = 100) -> list[HistoryRecord]:
        query = select(faq_history).order_by(faq_history.c.id.desc()).limit(limit)
        if key is not None:
            query = query.where(faq_history.c.key == key)
        with self._db.read("read FAQ history") as conn:
            return [_record(r) for r in conn.execute(query)]

    def history_record(self, record_id: int) -> HistoryRecord | None:
        with self._db.read("read FAQ history") as conn:
            row = conn.execute(
                select(faq_history).where(faq_history.c.id == record_id)
            ).one_or_none()
        return _record(row) if row else None

    # --- intent examples ------------------------------------------------------------------

    def examples(self, intent: str | None = None) -> list[IntentExample]:
        query = select(intent_examples).order_by(intent_examples.c.id)
        if intent is not None:
            query = query.where(intent_examples.c.intent == intent)
        with self._db.read("read intent examples") as conn:
            return [
                IntentExample(r.intent, r.text, r.author, r.created_at, r.id)
                for r in conn.execute(query)
            ]

    def add_examples(self, examples: Sequence[IntentExample]) -> list[IntentExample]:
        stored = []
        with self._db.write("add intent examples") as conn:
            for x in examples:
                values = {
                    "intent": x.intent,
                    "text": x.text,
                    "author": x.author,
                    "created_at": as_utc(x.created_at),
                }
                new_id = conn.execute(insert(intent_examples).values(values)).inserted_primary_key
                stored.append(IntentExample(x.intent, x.text, x.author, x.created_at, new_id[0]))
        return stored

    def remove_example(self, example_id: int) -> IntentExample | None:
        by_id = intent_examples.c.id == example_id
        with self._db.write("remove an intent example") as conn:
            row = conn.execute(select(intent_examples).where(by_id)).one_or_none()
            if row is None:
                return None
            conn.execute(delete(intent_examples).where(by_id))
        return IntentExample(row.intent, row.text, row.author, row.created_at, row.id)

    # --- drafts from operators' answers ------------------------------------------------------

    def offer(self, suggestion: Suggestion) -> Suggestion:
        c = faq_suggestions.c
        with self._db.write("store a FAQ draft") as conn:
            row = conn.execute(
                select(faq_suggestions)
                .where(
                    c.sender_id == suggestion.sender_id,
                    c.question == suggestion.question,
                    c.status == str(SuggestionStatus.OPEN),
                )
                .order_by(c.id.desc())
                .limit(1)
                .with_for_update()
            ).one_or_none()
            if row is not None:
                answer = f"{row.answer}\n{suggestion.answer}"
                updated = as_utc(suggestion.updated_at)
                conn.execute(
                    update(faq_suggestions)
                    .where(c.id == row.id)
                    .values(answer=answer, updated_at=updated)
                )
                new_id = row.id
            else:
                new_id = conn.execute(
                    insert(faq_suggestions).values(
                        sender_id=suggestion.sender_id,
                        question=suggestion.question,
                        answer=suggestion.answer,
                        operator=suggestion.operator,
                        status=str(suggestion.status),
                        entry_key=None,
                        created_at=as_utc(suggestion.created_at),
                        updated_at=as_utc(suggestion.updated_at),
                    )
                ).inserted_primary_key[0]
            return _suggestion(conn.execute(select(faq_suggestions).where(c.id == new_id)).one())

    def suggestions(
        self, status: SuggestionStatus | None = None, limit: int = 100
    ) -> list[Suggestion]:
        query = select(faq_suggestions).order_by(faq_suggestions.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(faq_suggestions.c.status == str(status))
        with self._db.read("read FAQ drafts") as conn:
            return [_suggestion(r) for r in conn.execute(query)]

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        with self._db.read("read a FAQ draft") as conn:
            row = conn.execute(
                select(faq_suggestions).where(faq_suggestions.c.id == suggestion_id)
            ).one_or_none()
        return _suggestion(row) if row else None

    def close_suggestion(
        self, suggestion_id: int, status: SuggestionStatus, entry_key: str | None, at: datetime
    ) -> Suggestion:
        by_id = faq_suggestions.c.id == suggestion_id
        with self._db.write("close a FAQ draft") as conn:
            done = conn.execute(
                update(faq_suggestions)
                .where(by_id)
                .values(status=str(status), entry_key=entry_key, updated_at=as_utc(at))
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no FAQ draft {suggestion_id}")
            return _suggestion(conn.execute(select(faq_suggestions).where(by_id)).one())

    # --- training runs -------------------------------------------------------------------

    def begin_run(self, author: str, at: datetime, stale_before: datetime) -> TrainingRun | None:
        c = training_runs.c
        with self._db.write("start a training run") as conn:
            _lock(conn, _RUN_LOCK)
            running = conn.execute(
                select(c.id, c.updated_at).where(c.status == str(RunStatus.RUNNING))
            ).all()
            if any(r.updated_at >= as_utc(stale_before) for r in running):
                return None
            if running:
                conn.execute(
                    update(training_runs)
                    .where(c.id.in_([r.id for r in running]))
                    .values(
                        status=str(RunStatus.FAILED),
                        stage="failed",
                        finished_at=as_utc(at),
                        error="abandoned: its process stopped reporting progress",
                    )
                )
            run = TrainingRun(id=0, author=author, started_at=at, updated_at=at)
            run.id = conn.execute(
                insert(training_runs).values(_run_values(run))
            ).inserted_primary_key[0]
        return run

    def save_run(self, run: TrainingRun) -> None:
        with self._db.write("save a training run") as conn:
            conn.execute(
                update(training_runs).where(training_runs.c.id == run.id).values(_run_values(run))
            )

    def runs(self, limit: int = 10) -> list[TrainingRun]:
        query = select(training_runs).order_by(training_runs.c.id.desc()).limit(limit)
        with self._db.read("read training runs") as conn:
            return [_run(r) for r in conn.execute(query)]

    def latest_release(self) -> TrainingRun | None:
        query = (
            select(training_runs)
            .where(training_runs.c.status == str(RunStatus.SUCCEEDED))
            .order_by(training_runs.c.id.desc())
            .limit(1)
        )
        with self._db.read("read the latest training run") as conn:
            row = conn.execute(query).one_or_none()
        return _run(row) if row else None
