"""The workbench's store against every backend: memory://, SQLite and PostgreSQL (each
PostgreSQL test in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.errors import EditConflictError, NotFoundError
from bot.knowledge.records import (
    EntryChange,
    FaqEntry,
    IntentExample,
    RunStatus,
    Suggestion,
    SuggestionStatus,
)
from bot.stores import Stores, open_stores

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2025, 3, 20, 8, 30, tzinfo=UTC)
ENTRY = FaqEntry(
    key="gift_card",
    questions=("کارت هدیه رو چطور فعال کنم", "فعال سازی کارت هدیه", "کد کارت هدیه"),
    answer="در بخش کیف پول.",
    title="کارت هدیه",
    category="پرداخت",
    tags=("کیف پول",),
    author="maryam",
    updated_at=T0,
    revision=1,
)


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


def _url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'pasokhgoo.db'}"
    else:
        schema = f"t_{secrets.token_hex(6)}"
        try:
            with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
        except psycopg.OperationalError as exc:
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable ({exc})")
        try:
            yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        finally:
            with psycopg.connect(PG_SERVER, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url(request.param, tmp_path)


@pytest.fixture(params=["sqlite", POSTGRES])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database several processes (here: several opened stores) share."""
    yield from _url(request.param, tmp_path)


@pytest.fixture
def stores(url: str, tmp_path: Path) -> Iterator[Stores]:
    with open_stores(url, tmp_path / "var") as opened:
        yield opened


def test_entries_with_history_in_one_transaction(stores: Stores) -> None:
    knowledge = stores.knowledge
    [created] = knowledge.write([EntryChange("gift_card", 0, ENTRY)], "create", "maryam", T0)
    assert knowledge.entry("gift_card") == ENTRY
    assert created.before is None and created.after == ENTRY

    changed = ENTRY.stamped("reza", T0 + timedelta(minutes=1), 2)
    knowledge.write([EntryChange("gift_card", 1, changed)], "update", "reza", changed.updated_at)
    # a stale revision, or a second creation, changes nothing: all or none
    other = FaqEntry("other", ("یک", "دو", "سه"), "پاسخ", updated_at=T0, revision=1)
    with pytest.raises(EditConflictError):
        knowledge.write(
            [EntryChange("other", 0, other), EntryChange("gift_card", 1, ENTRY)], "import", "x", T0
        )
    assert [e.key for e in knowledge.entries()] == ["gift_card"]
    assert knowledge.entry("gift_card") == changed

    knowledge.write([EntryChange("gift_card", 2, None)], "delete", "reza", T0)
    assert knowledge.entry("gift_card") is None
    history = knowledge.history("gift_card")
    assert [(h.action, h.author) for h in history] == [
        ("delete", "reza"),
        ("update", "reza"),
        ("create", "maryam"),
    ]
    assert history[1].before == ENTRY and history[1].after == changed
    assert history[0].after is None
    assert knowledge.history_record(history[2].id) == history[2]
    assert knowledge.history_record(10_000) is None


def test_seeding_adds_only_keys_it_never_had(stores: Stores) -> None:
    knowledge = stores.knowledge
    assert knowledge.seed([ENTRY], T0) == ["gift_card"]
    assert knowledge.seed([ENTRY], T0) == []
    knowledge.write([EntryChange("gift_card", 1, None)], "delete", "maryam", T0)
    fresh = FaqEntry("new_key", ("الف", "ب", "پ"), "پاسخ", author="nlu_data")
    # a deleted entry stays deleted; a key new in nlu_data arrives
    assert knowledge.seed([ENTRY, fresh], T0) == ["new_key"]
    assert knowledge.entry("new_key").revision == 1


def test_seeding_from_many_workers_at_once_seeds_once(shared_url: str, tmp_path: Path) -> None:
    opened = [open_stores(shared_url, tmp_path / "var") for _ in range(4)]
    results: list[list[str]] = []
    barrier = threading.Barrier(len(opened))

    def seed(s: Stores) -> None:
        barrier.wait()
        results.append(s.knowledge.seed([ENTRY], T0))

    threads = [threading.Thread(target=seed, args=(s,)) for s in opened]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(results) == [[], [], [], ["gift_card"]]
        assert len(opened[0].knowledge.history("gift_card")) == 1
    finally:
        for s in opened:
            s.close()


def test_examples_drafts_and_runs(stores: Stores) -> None:
    knowledge = stores.knowledge
    added = knowledge.add_examples([IntentExample("greet", "سلام عصر بخیر", "maryam", T0)])
    assert added[0].id is not None
    assert knowledge.examples("greet") == added and knowledge.examples("thanks") == []
    assert knowledge.remove_example(added[0].id) == added[0]
    assert knowledge.remove_example(added[0].id) is None

    first = knowledge.offer(Suggestion("c1", "تخفیف عمده دارید؟", "بله.", "sara", T0, T0))
    again = knowledge.offer(
        Suggestion("c1", "تخفیف عمده دارید؟", "از فروش سازمانی.", "sara", T0, T0)
    )
    assert again.id == first.id and again.answer == "بله.\nاز فروش سازمانی."
    closed = knowledge.close_suggestion(first.id, SuggestionStatus.ACCEPTED, "bulk", T0)
    assert closed.entry_key == "bulk" and knowledge.suggestions(SuggestionStatus.OPEN) == []
    with pytest.raises(NotFoundError):
        knowledge.close_suggestion(999, SuggestionStatus.DISMISSED, None, T0)

    run = knowledge.begin_run("maryam", T0, T0 - timedelta(minutes=15))
    assert run is not None and run.status is RunStatus.RUNNING
    assert knowledge.begin_run("reza", T0, T0 - timedelta(minutes=15)) is None
    run.status, run.stage, run.data_hash = RunStatus.SUCCEEDED, "done", "abc"
    run.knowledge = {"responses": {"utter_greet": ["سلام"]}, "titles": {}, "synonyms": {}}
    knowledge.save_run(run)
    assert knowledge.latest_release().knowledge["responses"] == {"utter_greet": ["سلام"]}
    later = knowledge.begin_run("reza", T0, T0 - timedelta(minutes=15))
    assert later is not None and [r.id for r in knowledge.runs()] == [later.id, run.id]
    assert knowledge.latest_release().id == run.id
