"""The storage ports against every backend: memory://, SQLite and PostgreSQL.

PostgreSQL tests carry the `postgres` marker and use a fresh schema each, so parallel
test runs on the same database never see each other's rows.
"""

from __future__ import annotations

import re
import secrets
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from bot import entities
from bot.domain import (
    Button,
    ConversationState,
    FormState,
    Mode,
    TicketDraft,
    TicketStatus,
    TicketType,
    TranscriptEntry,
    Turn,
)
from bot.errors import (
    AttachmentRejected,
    ConfigError,
    NotFoundError,
    StorageError,
    TicketTransitionError,
)
from bot.stores import Stores, open_stores
from bot.stores.attachments import sanitize_filename, sniff_media

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2025, 3, 20, 8, 30, tzinfo=UTC)  # Nowruz morning, in UTC
TEHRAN = timezone(timedelta(hours=3, minutes=30))
TABLES_CHILDREN_FIRST = (
    "ticket_events",
    "attachments",
    "tickets",
    "transcript",
    "conversations",
    "turns",
)


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _ftyp(brand: bytes) -> bytes:
    return (
        struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41" + bytes(32)
    )


PNG = _png()
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(32)
    + b"\xff\xd9"
)
MP4 = _ftyp(b"isom")


# --- backends -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> None:
    try:
        psycopg.connect(PG_SERVER, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is unreachable ({exc}); deselect with -m 'not postgres'"
        )


@contextmanager
def _postgres_schema() -> Iterator[tuple[str, str]]:
    """A new schema, dropped afterwards: (schema, URL whose search_path is that schema)."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema, f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def postgres_run(
    postgres_server: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """This test run's schema, migrated once; each test empties it afterwards."""
    with _postgres_schema() as (schema, url):
        open_stores(url, tmp_path_factory.mktemp("pg")).close()
        yield schema, url


def _url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'pasokhgoo.db'}"
    else:
        schema, url = request.getfixturevalue("postgres_run")
        yield url
        with psycopg.connect(PG_SERVER) as conn:  # one transaction; DELETE beats TRUNCATE here
            for table in TABLES_CHILDREN_FIRST:
                conn.execute(f"DELETE FROM {schema}.{table}")


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _url(request.param, tmp_path, request)


@pytest.fixture(params=["sqlite", POSTGRES])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Backends that keep data after the process lets go of them."""
    yield from _url(request.param, tmp_path, request)


@pytest.fixture(params=["sqlite", POSTGRES])
def private_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A durable database of this test's own, free to be damaged."""
    if request.param == "sqlite":
        yield from _url("sqlite", tmp_path, request)
    else:
        request.getfixturevalue("postgres_server")
        with _postgres_schema() as (_schema, url):
            yield url


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def stores(database_url: str, var_dir: Path) -> Iterator[Stores]:
    with open_stores(database_url, var_dir) as opened:
        yield opened


def _draft(sender: str = "u1", **overrides: object) -> TicketDraft:
    fields: dict = {
        "type": TicketType.TICKET,
        "topic": "ارسال",
        "message": "سفارشم هنوز نرسیده",
        "sender_id": sender,
        "name": "مریم رضایی",
        "email": "maryam@example.com",
        "phone": "09121234567",
        "order_number": "1234567",
    }
    return TicketDraft(**(fields | overrides))


# --- tickets --------------------------------------------------------------------------


def test_ticket_round_trip_with_history_and_attachments(stores: Stores) -> None:
    photo = stores.attachments.save("u1", "رسید.png", PNG)
    video = stores.attachments.save("u1", "unboxing.mp4", MP4)
    strangers = stores.attachments.save("u2", "other.jpg", JPEG)
    before = datetime.now(UTC)

    created = stores.tickets.create(
        _draft(attachment_ids=(photo.id, video.id, strangers.id, "no-such-id"))
    )
    ticket = stores.tickets.get(created.tracking_code)

    assert ticket == created
    assert ticket.status is TicketStatus.OPEN
    assert (ticket.topic, ticket.message, ticket.name) == (
        "ارسال",
        "سفارشم هنوز نرسیده",
        "مریم رضایی",
    )
    assert (ticket.email, ticket.phone, ticket.order_number) == (
        "maryam@example.com",
        "09121234567",
        "1234567",
    )
    assert ticket.created_at.tzinfo == UTC and before - timedelta(seconds=5) < ticket.created_at
    [event] = ticket.history
    assert (event.status, event.actor) == (TicketStatus.OPEN, "customer")
    # another customer's upload is never linked, even if its id is sent
    assert {(a.id, a.kind, a.original_name) for a in ticket.attachments} == {
        (photo.id, "photo", "رسید.png"),
        (video.id, "video", "unboxing.mp4"),
    }


def test_unknown_ticket_is_none(stores: Stores) -> None:
    assert stores.tickets.get("PG-ZZZZZZ") is None


def test_tracking_codes_are_unique_and_found_as_typed(stores: Stores) -> None:
    codes = [stores.tickets.create(_draft(f"u{i}")).tracking_code for i in range(25)]
    assert len(set(codes)) == 25
    assert all(re.fullmatch(rf"PG-[{entities.TRACKING_ALPHABET}]{{6}}", c) for c in codes)
    assert stores.tickets.get(f" {codes[0].lower()} ").tracking_code == codes[0]


def test_tracking_code_collision_is_retried(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = iter(["PG-AAAAAA", "PG-AAAAAA", "PG-AAAAAA", "PG-BBBBBB"])
    monkeypatch.setattr(entities, "new_tracking_code", lambda: next(codes))
    first = stores.tickets.create(_draft("u1"))
    second = stores.tickets.create(_draft("u2"))
    assert (first.tracking_code, second.tracking_code) == ("PG-AAAAAA", "PG-BBBBBB")
    assert stores.tickets.get("PG-AAAAAA").sender_id == "u1"
    assert stores.tickets.get("PG-BBBBBB").sender_id == "u2"


def test_status_follows_the_allowed_transitions(stores: Stores) -> None:
    code = stores.tickets.create(_draft()).tracking_code
    path = [TicketStatus.IN_PROGRESS, TicketStatus.ANSWERED, TicketStatus.IN_PROGRESS]
    for status in path:
        stores.tickets.set_status(code, status, actor="operator:sara", note=f"→ {status}")
    closed = stores.tickets.set_status(code, TicketStatus.CLOSED, actor="operator:sara")

    assert closed.status is TicketStatus.CLOSED
    assert [e.status for e in closed.history] == [TicketStatus.OPEN, *path, TicketStatus.CLOSED]
    assert [e.actor for e in closed.history] == ["customer"] + ["operator:sara"] * 4
    assert closed.history[1].note == "→ in_progress"
    assert stores.tickets.get(code) == closed


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], TicketStatus.ANSWERED),  # nothing answered before someone worked on it
        ([], TicketStatus.OPEN),  # open → open is no change
        ([TicketStatus.CLOSED], TicketStatus.OPEN),  # closed is final
        ([TicketStatus.CLOSED], TicketStatus.IN_PROGRESS),
    ],
)
def test_status_refuses_forbidden_transitions(
    stores: Stores, steps: list[TicketStatus], refused: TicketStatus
) -> None:
    code = stores.tickets.create(_draft()).tracking_code
    for status in steps:
        stores.tickets.set_status(code, status, actor="operator:sara")
    before = stores.tickets.get(code)

    with pytest.raises(ValueError, match=rf"cannot go from \w+ to {refused}") as caught:
        stores.tickets.set_status(code, refused, actor="operator:sara")

    assert isinstance(caught.value, TicketTransitionError)
    assert stores.tickets.get(code) == before  # no status change, no history line


def test_status_of_unknown_ticket_is_not_found(stores: Stores) -> None:
    with pytest.raises(NotFoundError, match="PG-ZZZZZZ"):
        stores.tickets.set_status("PG-ZZZZZZ", TicketStatus.CLOSED, actor="operator:sara")


def test_list_is_newest_first_and_filters(stores: Stores) -> None:
    a = stores.tickets.create(_draft("a")).tracking_code
    b = stores.tickets.create(_draft("b", type=TicketType.RETURN, reason="خراب")).tracking_code
    c = stores.tickets.create(_draft("c")).tracking_code
    stores.tickets.set_status(a, TicketStatus.IN_PROGRESS, actor="operator:sara")

    def codes(**filters: object) -> list[str]:
        return [t.tracking_code for t in stores.tickets.list(**filters)]

    assert codes() == [c, b, a]
    assert codes(status=TicketStatus.OPEN) == [c, b]
    assert codes(status=TicketStatus.IN_PROGRESS) == [a]
    assert codes(type=TicketType.RETURN) == [b]
    assert codes(type=TicketType.TICKET, status=TicketStatus.OPEN) == [c]
    assert codes(status=TicketStatus.CLOSED) == []
    assert codes(limit=2) == [c, b]
    assert codes(limit=2, offset=2) == [a]
    listed = {t.tracking_code: t for t in stores.tickets.list()}
    assert listed[a].history == stores.tickets.get(a).history


def test_concurrent_workers_neither_lose_nor_refuse_writes(stores: Stores) -> None:
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(5):
                code = stores.tickets.create(_draft(f"w{worker}-{i}")).tracking_code
                # read-then-write: the case where SQLite answers "database is locked"
                stores.tickets.set_status(code, TicketStatus.IN_PROGRESS, actor=f"op{worker}")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    listed = stores.tickets.list(status=TicketStatus.IN_PROGRESS, limit=100)
    assert len({t.tracking_code for t in listed}) == 20
    assert all(len(t.history) == 2 for t in listed)


def test_acknowledged_ticket_is_in_the_database(durable_url: str, var_dir: Path) -> None:
    with open_stores(durable_url, var_dir) as writer, open_stores(durable_url, var_dir) as reader:
        code = writer.tickets.create(_draft()).tracking_code
        assert reader.tickets.get(code).message == "سفارشم هنوز نرسیده"


def test_failed_ticket_leaves_nothing_behind(private_url: str, var_dir: Path) -> None:
    with open_stores(private_url, var_dir) as stores:
        saboteur = create_engine(private_url)
        with saboteur.begin() as conn:
            conn.execute(text("DROP TABLE ticket_events"))
        saboteur.dispose()

        with pytest.raises(StorageError, match="could not create a ticket") as caught:
            stores.tickets.create(_draft())

        assert caught.value.code == "storage_unavailable"
        assert stores.tickets.list() == []  # no ticket without its first history line


# --- conversations --------------------------------------------------------------------


def test_unknown_sender_gets_a_fresh_state(stores: Stores) -> None:
    assert stores.conversations.load("new-customer") == ConversationState("new-customer")


def test_conversation_with_a_form_survives_reopening(durable_url: str, var_dir: Path) -> None:
    state = ConversationState(
        sender_id="telegram:42",
        channel="telegram",
        form=FormState(
            "return_form", {"order_number": "7654321", "reason": "رنگش فرق داشت"}, "email", 1
        ),
        fallback_streak=2,
        last_suggestions=["faq/return_policy"],
        updated_at=datetime(2025, 3, 20, 12, 0, tzinfo=TEHRAN),
    )
    with open_stores(durable_url, var_dir) as first:
        first.conversations.save(state)

    with open_stores(durable_url, var_dir) as second:
        loaded = second.conversations.load("telegram:42")

    assert loaded == state
    assert loaded.updated_at.utcoffset() == timedelta(0)  # same instant, in UTC


def test_saving_again_replaces_the_state(stores: Stores) -> None:
    state = ConversationState("u1", form=FormState("ticket_form", requested_slot="name"))
    stores.conversations.save(state)
    state.form = None
    state.fallback_streak = 1
    stores.conversations.save(state)
    loaded = stores.conversations.load("u1")
    assert (loaded.form, loaded.fallback_streak) == (None, 1)


def test_state_that_is_not_json_is_refused_everywhere(stores: Stores) -> None:
    state = ConversationState("u1", form=FormState("ticket_form", {"when": T0}))
    with pytest.raises(TypeError, match="not JSON serializable"):
        stores.conversations.save(state)
    assert stores.conversations.load("u1") == ConversationState("u1")


def test_transcript_ids_increase_and_after_id_pages(stores: Stores) -> None:
    def line(sender: str, role: str, said: str, minute: int) -> TranscriptEntry:
        return TranscriptEntry(sender, role, said, T0 + timedelta(minutes=minute))

    first = stores.conversations.append(
        [line("u1", "customer", "سلام", 0), line("u1", "bot", "سلام! چطور کمکتون کنم؟", 0)]
    )
    stores.conversations.append([line("u2", "customer", "hi", 1)])
    later = stores.conversations.append(
        [
            TranscriptEntry("u1", "bot", "کدوم؟", T0, buttons=(Button("ارسال", "/shipping"),)),
            line("u1", "operator", "الان بررسی می‌کنم", 3),
        ]
    )

    ids = [e.id for e in first + later]
    assert ids == sorted(ids) and len(set(ids)) == 4
    whole = stores.conversations.transcript("u1")
    assert [e.text for e in whole] == [
        "سلام",
        "سلام! چطور کمکتون کنم؟",
        "کدوم؟",
        "الان بررسی می‌کنم",
    ]
    assert whole[2].buttons == (Button("ارسال", "/shipping"),)
    assert whole == first + later
    assert stores.conversations.transcript("u1", after_id=first[-1].id) == later
    assert stores.conversations.transcript("u1", after_id=later[-1].id) == []
    assert stores.conversations.transcript("u1", limit=1) == first[:1]


def test_waiting_lists_operator_queue_oldest_first(stores: Stores) -> None:
    def save(sender: str, mode: Mode, minutes: int) -> None:
        stores.conversations.save(
            ConversationState(sender, mode=mode, updated_at=T0 + timedelta(minutes=minutes))
        )

    save("late", Mode.WAITING, 10)
    save("early", Mode.WAITING, 1)
    save("held", Mode.OPERATOR, 5)
    save("bot-only", Mode.BOT, 0)
    assert [s.sender_id for s in stores.conversations.waiting()] == ["early", "held", "late"]

    save("early", Mode.BOT, 20)  # handed back to the bot
    assert [s.sender_id for s in stores.conversations.waiting()] == ["held", "late"]


# --- turns ----------------------------------------------------------------------------


def _turn(at: datetime, intent: str | None = "faq/shipping_time") -> Turn:
    ranking = (("faq/shipping_time", 0.81), ("faq/return_policy", 0.07))
    return Turn(
        "u1",
        "rest",
        at,
        "سفارشم کی میرسه",
        intent,
        0.81,
        "utter_faq",
        12.5,
        ranking,
        "shipping_time",
    )


def test_turns_recorded_and_filtered_by_time(stores: Stores) -> None:
    for hours in (0, 1, 2):
        stores.turns.record(_turn(T0 + timedelta(hours=hours)))
    stores.turns.record(_turn(T0.astimezone(TEHRAN) + timedelta(minutes=30), intent=None))

    everything = stores.turns.turns()
    assert [t.at for t in everything] == [T0 + timedelta(minutes=m) for m in (0, 30, 60, 120)]
    assert everything[0] == _turn(T0)
    assert everything[1].intent is None
    assert len(stores.turns.turns(since=T0 + timedelta(hours=1))) == 2
    assert len(stores.turns.turns(until=T0 + timedelta(hours=1))) == 2  # until is exclusive
    window = stores.turns.turns(since=T0 + timedelta(minutes=1), until=T0 + timedelta(hours=2))
    assert [t.at for t in window] == [T0 + timedelta(minutes=30), T0 + timedelta(hours=1)]


def test_naive_timestamps_are_refused(stores: Stores) -> None:
    with pytest.raises(ValueError, match="time zone"):
        stores.turns.record(_turn(datetime(2025, 3, 20, 8, 30)))
    assert stores.turns.turns() == []


# --- attachments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind", "mime"),
    [
        (PNG, "photo", "image/png"),
        (JPEG, "photo", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00" + bytes(20), "photo", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20), "photo", "image/webp"),
        (_ftyp(b"heic"), "photo", "image/heic"),  # iPhone photos
        (MP4, "video", "video/mp4"),
        (_ftyp(b"qt  "), "video", "video/quicktime"),  # iPhone videos
        (_ftyp(b"3gp4"), "video", "video/3gpp"),  # older Android phones
        (
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(20),
            "video",
            "video/webm",
        ),
    ],
)
def test_photos_and_videos_accepted_by_content(
    stores: Stores, content: bytes, kind: str, mime: str
) -> None:
    saved = stores.attachments.save("u1", "file.bin", content)
    assert (saved.kind, saved.mime, saved.size) == (kind, mime, len(content))
    meta, data = stores.attachments.open(saved.id)
    assert (meta, data) == (saved, content)


@pytest.mark.parametrize(
    "content",
    [
        b"<?php system($_GET['cmd']); ?>",  # web shell
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48),  # Windows executable
        "عکس سفارشم رو نمی‌تونم بفرستم".encode(),  # plain text
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',  # scriptable image
        b"%PDF-1.7\n",
    ],
)
def test_anything_else_named_photo_jpg_is_refused(
    stores: Stores, var_dir: Path, content: bytes
) -> None:
    with pytest.raises(AttachmentRejected) as caught:
        stores.attachments.save("u1", "photo.jpg", content)
    assert caught.value.code == "attachment_type"
    assert isinstance(caught.value, ValueError)
    assert not list(var_dir.glob("uploads/*"))  # nothing written


def test_size_limits(database_url: str, var_dir: Path) -> None:
    with open_stores(database_url, var_dir, max_attachment_bytes=1024) as stores:
        exactly = PNG + bytes(1024 - len(PNG))
        assert stores.attachments.save("u1", "a.png", exactly).size == 1024
        with pytest.raises(AttachmentRejected, match="limit is 1024") as too_large:
            stores.attachments.save("u1", "b.png", exactly + b"\x00")
        with pytest.raises(AttachmentRejected) as empty:
            stores.attachments.save("u1", "c.png", b"")
    assert (too_large.value.code, empty.value.code) == ("attachment_too_large", "attachment_empty")
    assert len(list(var_dir.glob("uploads/*"))) == 1


def test_stored_under_a_random_name_not_the_customers(stores: Stores, var_dir: Path) -> None:
    saved = stores.attachments.save("u1", "photo.jpg", JPEG)
    again = stores.attachments.save("u1", "photo.jpg", JPEG)
    files = sorted((var_dir / "uploads").iterdir())
    assert len(files) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", f.name) for f in files)
    assert [f.read_bytes() for f in files] == [JPEG, JPEG]
    assert saved.id != again.id and saved.original_name == again.original_name == "photo.jpg"


@pytest.mark.parametrize(
    ("filename", "kept"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\win.ini.png", "win.ini.png"),
        ("/var/www/html/shell.png", "shell.png"),
        ("..", "upload"),
        ("evil\x00.png\r\n", "evil.png"),
        ("photo\u202egnp.exe", "photognp.exe"),  # right-to-left override disguising .exe
    ],
)
def test_file_name_is_metadata_only(
    stores: Stores, tmp_path: Path, var_dir: Path, filename: str, kept: str
) -> None:
    saved = stores.attachments.save("u1", filename, PNG)
    assert saved.original_name == kept
    assert stores.attachments.open(saved.id)[0].original_name == kept
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == PNG]
    assert [p.parent for p in written] == [var_dir / "uploads"]


def test_open_unknown_attachment_is_not_found(stores: Stores) -> None:
    with pytest.raises(NotFoundError):
        stores.attachments.open("0" * 32)


@given(st.text(max_size=300))
def test_sanitized_names_are_plain_base_names(name: str) -> None:
    clean = sanitize_filename(name)
    assert 0 < len(clean) <= 100
    assert "/" not in clean and "\\" not in clean and clean not in {".", ".."}
    assert not any(ord(ch) < 32 or ch == "\x7f" or "\u202a" <= ch <= "\u202e" for ch in clean)


@given(st.binary(max_size=64))
def test_sniffing_arbitrary_bytes_only_ever_refuses(content: bytes) -> None:
    try:
        media = sniff_media(content)
    except AttachmentRejected as exc:
        assert exc.code == "attachment_type"
    else:
        assert media.kind in {"photo", "video"}


# --- opening --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://127.0.0.1:6379/0", "unsupported database URL scheme 'redis'"),
        ("postgresql://postgres@127.0.0.1/test", "postgresql\\+psycopg://"),
        ("pasokhgoo.db", "scheme '\\(none\\)'"),
        ("sqlite://", "needs a file path"),
        ("sqlite:///:memory:", "needs a file path"),
        ("postgresql+psycopg://postgres@127.0.0.1:port/test", "malformed database URL"),
    ],
)
def test_unsupported_urls_are_config_errors(url: str, says: str, var_dir: Path) -> None:
    with pytest.raises(ConfigError, match=says):
        open_stores(url, var_dir)


def test_unreachable_database_is_a_storage_error(var_dir: Path) -> None:
    # nothing listens on port 1; no server is needed for this test
    with pytest.raises(StorageError, match="could not migrate the database schema") as caught:
        open_stores("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test", var_dir)
    assert caught.value.code == "storage_unavailable"
    assert "s3cret" not in str(caught.value)
