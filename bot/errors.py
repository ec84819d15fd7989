"""Pasokhgoo's exceptions: one root, each also the matching builtin.

    PasokhgooError
    ├── DataError (ValueError)            training data or an import file is invalid
    ├── ModelError (RuntimeError)
    │   ├── ModelNotFoundError (FileNotFoundError)
    │   └── ModelMismatchError (ValueError)   saved with another normaliser or format
    ├── ConfigError (ValueError)          a setting is missing or inconsistent
    ├── StorageError (RuntimeError)       the database or upload folder failed; retry later
    ├── NotFoundError (LookupError)       no ticket or attachment with that id
    ├── TicketTransitionError (ValueError)  a status change TICKET_TRANSITIONS forbids
    ├── AttachmentRejected (ValueError)   an upload is empty, too large or not a photo/video
    ├── InvalidEntryError (ValueError)    a FAQ entry or example breaks the curation rules
    ├── EditConflictError (ValueError)    someone else changed the FAQ entry first
    └── TrainingBusyError (RuntimeError)  a training run is already in progress

Each carries a stable machine `code` for API clients and logs.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AttachmentRejected",
    "ConfigError",
    "DataError",
    "EditConflictError",
    "InvalidEntryError",
    "ModelError",
    "ModelMismatchError",
    "ModelNotFoundError",
    "NotFoundError",
    "PasokhgooError",
    "StorageError",
    "TicketTransitionError",
    "TrainingBusyError",
]


class PasokhgooError(Exception):
    code = "pasokhgoo_error"


class DataError(PasokhgooError, ValueError):
    """Invalid training data; `path` and `line` point at the problem when known."""

    code = "invalid_data"

    def __init__(self, message: str, path: Path | str | None = None, line: int = 0) -> None:
        super().__init__(message)
        self.path = str(path) if path else None
        self.line = line


class ModelError(PasokhgooError, RuntimeError):
    code = "model_error"


class ModelNotFoundError(ModelError, FileNotFoundError):
    code = "model_not_found"


class ModelMismatchError(ModelError, ValueError):
    code = "model_mismatch"


class ConfigError(PasokhgooError, ValueError):
    code = "invalid_config"


class StorageError(PasokhgooError, RuntimeError):
    """The database or the upload folder failed; nothing was half-written, so retry."""

    code = "storage_unavailable"


class NotFoundError(PasokhgooError, LookupError):
    code = "not_found"


class TicketTransitionError(PasokhgooError, ValueError):
    code = "ticket_transition"


class AttachmentRejected(PasokhgooError, ValueError):
    """An upload refused; `code` says why: empty, too large, or not a photo or video."""

    code = "attachment_rejected"

    def __init__(self, message: str, code: str = "attachment_type") -> None:
        super().__init__(message)
        self.code = code


class InvalidEntryError(PasokhgooError, ValueError):
    """Curation rules refused a FAQ entry or example; `problems` name each field and why."""

    code = "invalid_entry"

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class EditConflictError(PasokhgooError, ValueError):
    code = "edit_conflict"


class TrainingBusyError(PasokhgooError, RuntimeError):
    code = "training_running"
