"""Pasokhgoo's exceptions: one root, each also the matching builtin.

    PasokhgooError
    ├── DataError (ValueError)            training data or an import file is invalid
    ├── ModelError (RuntimeError)
    │   ├── ModelNotFoundError (FileNotFoundError)
    │   └── ModelMismatchError (ValueError)   saved with another normaliser or format
    └── ConfigError (ValueError)          a setting is missing or inconsistent

Each carries a stable machine `code` for API clients and logs.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "DataError",
    "ModelError",
    "ModelMismatchError",
    "ModelNotFoundError",
    "PasokhgooError",
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
