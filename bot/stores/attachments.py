"""Customer uploads: photos and videos checked by their bytes, kept under random names.

The type comes from the file's first bytes (its magic number), never from its name or the
declared content type, so `shell.php` renamed `photo.jpg` is refused. Files are written
to `var_dir/uploads/<random hex>`, outside any web root; the customer's file name is only
metadata, cleaned of paths and control characters.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot.domain import Attachment
from bot.errors import AttachmentRejected, NotFoundError, StorageError

__all__ = [
    "AttachmentIndex",
    "FileAttachmentStore",
    "Media",
    "StoredAttachment",
    "sanitize_filename",
    "sniff_media",
]

MAX_NAME_CHARS = 100


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # "photo" | "video"
    mime: str


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """An attachment's metadata as the database keeps it."""

    attachment: Attachment
    sender_id: str
    stored_name: str
    created_at: datetime


class AttachmentIndex(Protocol):
    """Where a backend keeps attachment metadata (the bytes stay on disk)."""

    def add(self, record: StoredAttachment) -> None: ...

    def find(self, attachment_id: str) -> StoredAttachment | None: ...


# ISO base media files (MP4, MOV, 3GP, HEIC) name their format in the `ftyp` box's brand.
_FTYP_BRANDS: dict[bytes, Media] = {
    **dict.fromkeys((b"heic", b"heix", b"heim", b"heis"), Media("photo", "image/heic")),
    **dict.fromkeys((b"mif1", b"msf1"), Media("photo", "image/heif")),
    **dict.fromkeys(
        (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"),
        Media("video", "video/mp4"),
    ),
    b"qt  ": Media("video", "video/quicktime"),
}


def sniff_media(content: bytes) -> Media:
    """The photo or video format `content` starts with; AttachmentRejected otherwise."""
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return Media("photo", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Media("photo", "image/png")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Media("photo", "image/gif")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Media("photo", "image/webp")
    if head[4:8] == b"ftyp" and int.from_bytes(head[:4], "big") >= 12:
        brand = head[8:12]
        if brand in _FTYP_BRANDS:
            return _FTYP_BRANDS[brand]
        if brand.startswith((b"3gp", b"3gg", b"3ge")):
            return Media("video", "video/3gpp")
        if brand.startswith(b"3g2"):
            return Media("video", "video/3gpp2")
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska, or WebM when it says so
        return Media("video", "video/webm" if b"webm" in head else "video/x-matroska")
    raise AttachmentRejected(
        "only photos (JPEG, PNG, GIF, WebP, HEIC) and videos (MP4, MOV, 3GP, WebM, MKV) "
        "are accepted; this file's content is neither",
        code="attachment_type",
    )


# Right-to-left overrides and isolates can make "gpj.exe" display as "exe.jpg".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def sanitize_filename(name: str) -> str:
    """The customer's file name fit for display: base name only, ≤ 100 characters."""
    name = "".join(
        ch
        for ch in unicodedata.normalize("NFC", name)
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES and ch not in _BIDI_CONTROLS
    )
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in {"", ".", ".."}:
        return "upload"
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            name = f"{stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip()}.{ext}"
        else:
            name = name[:MAX_NAME_CHARS]
    return name


_STORED_NAME = re.compile(r"[0-9a-f]{32}")


class FileAttachmentStore:
    """The `AttachmentStore` port: bytes in `root`, metadata in the backend's index."""

    def __init__(self, root: Path, index: AttachmentIndex, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self._root = Path(root)
        self._index = index
        self._max_bytes = max_bytes

    def save(self, sender_id: str, filename: str, content: bytes) -> Attachment:
        if not content:
            raise AttachmentRejected("the file is empty", code="attachment_empty")
        if len(content) > self._max_bytes:
            raise AttachmentRejected(
                f"the file is {len(content)} bytes; the limit is {self._max_bytes}",
                code="attachment_too_large",
            )
        media = sniff_media(content)
        attachment = Attachment(
            id=secrets.token_hex(16),
            kind=media.kind,
            mime=media.mime,
            size=len(content),
            original_name=sanitize_filename(filename),
        )
        stored_name = secrets.token_hex(16)
        self._write(stored_name, content)
        record = StoredAttachment(attachment, sender_id, stored_name, datetime.now(UTC))
        try:
            self._index.add(record)
        except BaseException:
            (self._root / stored_name).unlink(missing_ok=True)
            raise
        return attachment

    def open(self, attachment_id: str) -> tuple[Attachment, bytes]:
        record = self._index.find(attachment_id)
        if record is None or not _STORED_NAME.fullmatch(record.stored_name):
            raise NotFoundError(f"no attachment {attachment_id!r}")
        try:
            content = (self._root / record.stored_name).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"attachment {attachment_id!r} has no file on disk") from None
        except OSError as exc:
            raise StorageError(f"could not read attachment {attachment_id!r}: {exc}") from exc
        return record.attachment, content

    def _write(self, stored_name: str, content: bytes) -> None:
        """Write to a private temporary file, then rename: a reader never sees half a file."""
        target = self._root / stored_name
        partial = self._root / f"{stored_name}.part"
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StorageError(f"could not store the upload in {self._root}: {exc}") from exc
