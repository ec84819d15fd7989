"""The content team's edits: FAQ entries with validation and history, reverts, imports,
intent examples, and drafts (from knowledge gaps and from operators' answers).

Every change is checked by `bot.knowledge.rules` against the other entries, then saved
with its history in one transaction. Nothing here retrains: edits reach customers with
the next training run (`bot.knowledge.training`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import InvalidEntryError, NotFoundError
from bot.knowledge.compose import compose, seed_entries
from bot.knowledge.records import (
    EntryChange,
    FaqEntry,
    HistoryRecord,
    IntentExample,
    Suggestion,
    SuggestionStatus,
)
from bot.knowledge.rules import Problem, clean_entry, clean_text, entry_problems, normalized
from bot.knowledge.sheets import ImportReport, SheetRow, plan_import
from bot.ports import KnowledgeStore
from bot.training_data import FAQ_PREFIX, TrainingData, load_training_data

__all__ = ["Curation", "ExampleReport"]

log = logging.getLogger("pasokhgoo.curation")

MAX_PROMOTED_QUESTIONS = 30  # a cluster's most frequent messages become the variants


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ExampleReport:
    added: list[IntentExample] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    entry: FaqEntry | None = None  # when the intent was a FAQ entry: the entry after it

    def to_dict(self) -> dict:
        return {
            "added": [x.to_dict() for x in self.added],
            "skipped": [p.to_dict() for p in self.skipped],
            "entry": self.entry.to_dict() if self.entry else None,
        }


class Curation:
    """FAQ entries, examples and drafts in `store`, over the shipped data in `data_dir`."""

    def __init__(
        self, store: KnowledgeStore, data_dir: Path, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self.store = store
        self.data_dir = Path(data_dir)
        self.clock = clock
        self._shipped: tuple[tuple, TrainingData] | None = None

    # --- the knowledge as a whole ---------------------------------------------------------

    def _stamp(self) -> tuple:
        files = sorted(self.data_dir.rglob("*")) if self.data_dir.is_dir() else [self.data_dir]
        return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)

    def shipped(self) -> TrainingData:
        """nlu_data as loaded (read again only when a file in it changed; do not modify)."""
        stamp = self._stamp()
        if self._shipped is None or self._shipped[0] != stamp:
            self._shipped = (stamp, load_training_data(self.data_dir))
        return self._shipped[1]

    def seed(self) -> list[str]:
        """Copy nlu_data's FAQ entries that the database has never had; returns their keys."""
        added = self.store.seed(seed_entries(self.shipped()), self.clock())
        if added:
            log.info("knowledge.seeded entries=%d", len(added))
        return added

    def training_data(self) -> TrainingData:
        return compose(self.shipped(), self.store.entries(), self.store.examples())

    # --- FAQ entries -----------------------------------------------------------------------

    def entries(self) -> list[FaqEntry]:
        return self.store.entries()

    def entry(self, key: str) -> FaqEntry:
        found = self.store.entry(key)
        if found is None:
            raise NotFoundError(f"no FAQ entry {key!r}")
        return found

    def history(self, key: str | None = None, limit: int = 100) -> list[HistoryRecord]:
        return self.store.history(key, limit)

    def _checked(self, entry: FaqEntry, *, creating: bool) -> FaqEntry:
        entry = clean_entry(entry)
        others = self.store.entries()
        taken = creating and any(o.key == entry.key for o in others)
        problems = entry_problems(entry, others, key_taken=taken)
        if problems:
            raise InvalidEntryError(f"the FAQ entry {entry.key!r} is not valid", problems)
        return entry

    def create(
        self, entry: FaqEntry, author: str, *, action: str = "create", note: str = ""
    ) -> FaqEntry:
        entry = self._checked(entry, creating=True).stamped(author, self.clock(), 1)
        at = entry.updated_at or self.clock()
        [record] = self.store.write([EntryChange(entry.key, 0, entry)], action, author, at, note)
        log.info("knowledge.entry_created action=%s", action)
        assert record.after is not None
        return record.after

    def update(
        self, key: str, entry: FaqEntry, author: str, revision: int | None = None
    ) -> FaqEntry:
        """Replace the entry `key` (the body's key is ignored). `revision`: the version the
        editor started from; a newer stored one raises EditConflictError."""
        current = self.entry(key)
        expected = current.revision if revision is None else revision
        entry = self._checked(replace(entry, key=key), creating=False)
        if entry.content() == current.content() and expected == current.revision:
            return current
        now = self.clock()
        stamped = entry.stamped(author, now, expected + 1)
        self.store.write([EntryChange(key, expected, stamped)], "update", author, now)
        return stamped

    def delete(self, key: str, author: str, revision: int | None = None) -> HistoryRecord:
        current = self.entry(key)
        expected = current.revision if revision is None else revision
        change = EntryChange(key, expected, None)
        [record] = self.store.write([change], "delete", author, self.clock())
        return record

    def revert(self, key: str, record_id: int, author: str) -> FaqEntry | None:
        """Put the entry back as it was before change `record_id` (None: it did not exist)."""
        record = self.store.history_record(record_id)
        if record is None or record.key != key:
            raise NotFoundError(f"no change {record_id} of the FAQ entry {key!r}")
        current = self.store.entry(key)
        target = record.before
        revision = current.revision if current else 0
        if target is None and current is None:
            return None
        if target is not None and current is not None and target.content() == current.content():
            return current
        now = self.clock()
        after = None
        if target is not None:
            after = self._checked(target, creating=current is None)
            after = after.stamped(author, now, revision + 1)
        note = f"back to before change {record_id}"
        self.store.write([EntryChange(key, revision, after)], "revert", author, now, note)
        return after

    # --- import --------------------------------------------------------------------------

    def import_rows(self, rows: Sequence[SheetRow], author: str, *, dry_run: bool) -> ImportReport:
        """Plan the import; unless `dry_run`, apply it — all rows or, if any is rejected, none."""
        report = plan_import(rows, self.store.entries())
        if dry_run or report.rejected or not report.changes:
            return report
        now = self.clock()
        changes = [
            EntryChange(e.key, e.revision, e.stamped(author, now, e.revision + 1))
            for e in report.changes
        ]
        self.store.write(changes, "import", author, now)
        report.applied = True
        log.info("knowledge.imported added=%d changed=%d", len(report.added), len(report.changed))
        return report

    # --- intent examples -----------------------------------------------------------------

    def intents(self) -> dict[str, int]:
        """Every intent of the training data with its number of examples."""
        counts: dict[str, int] = {}
        for example in self.training_data().examples:
            counts[example.intent] = counts.get(example.intent, 0) + 1
        return dict(sorted(counts.items()))

    def add_examples(self, intent: str, texts: Sequence[str], author: str) -> ExampleReport:
        """Teach `intent` these sentences; ones it knows or another intent has are skipped.

        A FAQ intent (`faq/<key>`) gets them as new question variants of its entry.
        """
        data = self.training_data()
        owners = {normalized(x.text): x.intent for x in data.examples}
        if intent.startswith(FAQ_PREFIX):
            entry = self.store.entry(intent.removeprefix(FAQ_PREFIX))
            if entry is not None:
                owners |= {normalized(q): intent for q in entry.questions}  # drafts too
        elif intent not in data.intents:
            raise InvalidEntryError(
                f"no intent {intent!r}",
                [Problem("intent", "unknown_intent", f"There is no intent {intent!r}.")],
            )
        report = ExampleReport()
        fresh: list[str] = []
        for i, raw in enumerate(texts):
            text, where = clean_text(raw), f"texts[{i}]"
            norm = normalized(text) if text else ""
            if not norm:
                report.skipped.append(Problem(where, "empty_example", "The sentence is empty."))
            elif owners.get(norm) == intent:
                report.skipped.append(
                    Problem(where, "known_example", f"{text!r} is already an example of it.")
                )
            elif norm in owners:
                report.skipped.append(
                    Problem(
                        where, "example_conflict", f"{text!r} is an example of {owners[norm]!r}."
                    )
                )
            else:
                owners[norm] = intent
                fresh.append(text)
        if not fresh:
            if report.skipped:
                raise InvalidEntryError("no sentence could be added", report.skipped)
            return report
        now = self.clock()
        if intent.startswith(FAQ_PREFIX):
            key = intent.removeprefix(FAQ_PREFIX)
            entry = self.entry(key)
            more = replace(entry, questions=entry.questions + tuple(fresh))
            report.entry = self.update(key, more, author, entry.revision)
            report.added = [IntentExample(intent, t, author, now) for t in fresh]
        else:
            added = [IntentExample(intent, t, author, now) for t in fresh]
            report.added = self.store.add_examples(added)
        return report

    def remove_example(self, example_id: int) -> IntentExample:
        removed = self.store.remove_example(example_id)
        if removed is None:
            raise NotFoundError(f"no intent example {example_id}")
        return removed

    # --- drafts --------------------------------------------------------------------------

    def promote(
        self, messages: Sequence[str], draft: FaqEntry, author: str, note: str = ""
    ) -> FaqEntry:
        """A new entry (a draft unless `draft.enabled`) whose variants are `messages` —
        those not already a question of another entry, most frequent first."""
        taken = {normalized(q) for e in self.store.entries() for q in e.questions}
        questions: list[str] = list(draft.questions)
        seen = {normalized(q) for q in questions} | taken
        for message in messages:
            norm = normalized(message)
            if norm and norm not in seen and len(questions) < MAX_PROMOTED_QUESTIONS:
                seen.add(norm)
                questions.append(clean_text(message))
        entry = replace(draft, questions=tuple(questions))
        return self.create(entry, author, action="promote", note=note)

    def accept(self, suggestion_id: int, draft: FaqEntry, author: str) -> FaqEntry:
        """Turn an operator-answer draft into an entry: its question first, then the given
        variants; its answer unless one is given."""
        suggestion = self.store.suggestion(suggestion_id)
        if suggestion is None or suggestion.status is not SuggestionStatus.OPEN:
            raise NotFoundError(f"no open FAQ draft {suggestion_id}")
        entry = replace(draft, questions=(), answer=draft.answer or suggestion.answer)
        questions = [suggestion.question, *draft.questions]
        created = self.promote(questions, entry, author, f"from draft {suggestion_id}")
        accepted = SuggestionStatus.ACCEPTED
        self.store.close_suggestion(suggestion_id, accepted, created.key, self.clock())
        return created

    def dismiss(self, suggestion_id: int) -> Suggestion:
        return self.store.close_suggestion(
            suggestion_id, SuggestionStatus.DISMISSED, None, self.clock()
        )
