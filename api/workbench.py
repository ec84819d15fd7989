"""What the admin routes share: the workbench dependency, who is editing, the request
bodies, and one translation of the workbench's errors into the shared error body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminDep, ServicesDep
from api.errors import ApiError, ErrorBody
from api.schemas import INT64_MAX
from bot.errors import (
    DataError,
    EditConflictError,
    InvalidEntryError,
    NotFoundError,
    TrainingBusyError,
)
from bot.knowledge.analytics import parse_moment
from bot.knowledge.records import FaqEntry
from bot.knowledge.training import Workbench

__all__ = [
    "ADMIN_ERRORS",
    "EditorDep",
    "EntryIn",
    "EntryPatch",
    "RowId",
    "WorkbenchDep",
    "call",
    "moment",
]

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no staff token"},
    403: {"model": ErrorBody, "description": "not the admin token"},
    404: {"model": ErrorBody, "description": "no such entry, change, draft or cluster"},
    409: {"model": ErrorBody, "description": "changed meanwhile, or a training is running"},
    422: {"model": ErrorBody, "description": "refused by the curation rules (details per field)"},
}


def get_workbench(services: ServicesDep) -> Workbench:
    if services.workbench is None:
        raise ApiError(503, "not_ready", "The workbench is not running.")
    return services.workbench


WorkbenchDep = Annotated[Workbench, Depends(get_workbench)]

# a history record, example or draft id in a path (the stores count them from 1)
RowId = Annotated[int, Path(ge=1, le=INT64_MAX)]


def get_editor(
    staff: AdminDep,
    x_editor: Annotated[
        str | None,
        Header(max_length=64, description="who is editing (the admin page sends its user)"),
    ] = None,
) -> str:
    """The name recorded in the history: `X-Editor`, else the token's owner."""
    return (x_editor or "").strip() or staff.name


EditorDep = Annotated[str, Depends(get_editor)]


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return f"{text[:1].upper()}{text[1:]}."


async def call[T](fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run workbench code off the event loop, its errors as the shared error body."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except InvalidEntryError as exc:
        details = [p.to_dict() for p in exc.problems]
        raise ApiError(422, exc.code, f"{exc}: see details.", details) from exc
    except EditConflictError as exc:
        raise ApiError(409, exc.code, _sentence(exc)) from exc
    except TrainingBusyError as exc:
        raise ApiError(409, exc.code, _sentence(exc)) from exc
    except NotFoundError as exc:
        raise ApiError(404, "not_found", _sentence(exc)) from exc
    except DataError as exc:
        raise ApiError(422, "invalid_file", _sentence(exc)) from exc


def moment(name: str, value: str | None, default: datetime) -> datetime:
    """A `since`/`until` parameter: `7d`, `24h`, an ISO date or time; 422 otherwise."""
    if value is None:
        return default
    try:
        return parse_moment(value, datetime.now(UTC)).astimezone(UTC)
    except ValueError as exc:
        raise ApiError(
            422,
            "invalid_request",
            f"{name} must be like 7d, 24h, 2025-03-20 or 2025-03-20T08:30:00+03:30.",
            [{"field": name, "type": "moment", "message": str(exc)}],
        ) from exc


class EntryPatch(BaseModel):
    """Fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    questions: list[str] | None = Field(None, max_length=500)
    answer: str | None = Field(None, max_length=20_000)
    title: str | None = Field(None, max_length=1000)
    category: str | None = Field(None, max_length=255)
    tags: list[str] | None = Field(None, max_length=50)
    enabled: bool | None = None
    revision: int | None = Field(None, ge=0, le=INT64_MAX, description="the revision you edited")

    def applied_to(self, entry: FaqEntry) -> FaqEntry:
        fields = self.model_dump(exclude_unset=True, exclude={"revision"})
        return FaqEntry.from_dict(entry.to_dict() | fields)


class EntryIn(BaseModel):
    """A whole FAQ entry (`key` is taken from the path on PUT)."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(None, max_length=200, examples=["gift_card"])
    questions: list[str] = Field(default_factory=list, max_length=500)
    answer: str = Field("", max_length=20_000)
    title: str = Field("", max_length=1000)
    category: str = Field("", max_length=255)
    tags: list[str] = Field(default_factory=list, max_length=50)
    enabled: bool = True
    revision: int | None = Field(
        None, ge=0, le=INT64_MAX, description="the revision you edited (PUT)"
    )

    def entry(self, key: str | None = None) -> FaqEntry:
        return FaqEntry(
            key=key if key is not None else (self.key or ""),
            questions=tuple(self.questions),
            answer=self.answer,
            title=self.title,
            category=self.category,
            tags=tuple(self.tags),
            enabled=self.enabled,
        )
