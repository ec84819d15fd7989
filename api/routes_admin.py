"""The content team's admin API: FAQ entries (with history, revert, spreadsheet import and
export), intent examples, and training. Every route needs the admin token.

Edits are saved at once and reach customers with the next training (`POST /train`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep, SettingsDep, require_admin
from api.errors import ApiError
from api.schemas import INT64_MAX
from api.workbench import (
    ADMIN_ERRORS,
    EditorDep,
    EntryIn,
    EntryPatch,
    RowId,
    WorkbenchDep,
    call,
)
from bot.errors import DataError
from bot.knowledge.compose import to_rasa_yaml
from bot.knowledge.sheets import read_sheet, write_csv, write_xlsx
from bot.training_data import FAQ_PREFIX

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)


# --- FAQ entries --------------------------------------------------------------------------


@router.get("/faq")
async def list_entries(
    workbench: WorkbenchDep,
    category: str | None = None,
    enabled: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="in key, title or text")] = None,
) -> dict:
    """Every FAQ entry, by key (drafts are the disabled ones)."""
    entries = await call(workbench.curation.entries)
    needle = (q or "").strip().lower()

    def matches(e) -> bool:
        text = " ".join((e.key, e.title, e.answer, *e.questions)).lower()
        return (
            (category is None or e.category == category)
            and (enabled is None or e.enabled == enabled)
            and (not needle or needle in text)
        )

    return {"entries": [e.to_dict() for e in entries if matches(e)]}


@router.post("/faq", status_code=201)
async def create_entry(body: EntryIn, workbench: WorkbenchDep, editor: EditorDep) -> dict:
    """Add an entry: answered after the next training if enabled."""
    entry = await call(workbench.curation.create, body.entry(), editor)
    return {"entry": entry.to_dict()}


# export and import are declared before /faq/{key}, which would otherwise match them
@router.get("/faq/export", response_class=Response)
async def export_entries(
    workbench: WorkbenchDep,
    format: Literal["csv", "xlsx", "rasa"] = "csv",
    all: Annotated[bool, Query(description="rasa: include disabled entries")] = False,
) -> Response:
    """Download the entries as CSV, XLSX (one row per entry) or Rasa YAML."""
    curation = workbench.curation
    entries = await call(curation.entries)
    if format == "csv":
        content, media = write_csv(entries), "text/csv; charset=utf-8"
    elif format == "xlsx":
        content = await call(write_xlsx, entries)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        examples = await call(curation.store.examples)
        text = to_rasa_yaml(entries, examples, all_entries=all)
        content, media = text.encode(), "application/x-yaml; charset=utf-8"
    name = "faq.yml" if format == "rasa" else f"faq.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media, headers=headers)


@router.post("/faq/import")
async def import_entries(
    workbench: WorkbenchDep,
    settings: SettingsDep,
    editor: EditorDep,
    file: Annotated[UploadFile, File(description="a CSV (UTF-8) or XLSX file")],
    dry_run: Annotated[bool, Query(description="only report what would happen")] = False,
) -> dict:
    """Add and change entries from a spreadsheet: every row or, if one is rejected, none.

    The report lists the rows that add, change (which fields) or leave an entry, and the
    rejected ones with their problems; a real import with rejected rows answers 422."""
    content = await file.read(settings.max_import_bytes + 1)
    if len(content) > settings.max_import_bytes:
        raise ApiError(413, "payload_too_large", "The file is larger than the import limit.")
    rows = await call(read_sheet, content)
    report = await call(workbench.curation.import_rows, rows, editor, dry_run=dry_run)
    if report.rejected and not dry_run:
        details = [
            {"row": o.row, "key": o.key} | p.to_dict() for o in report.rejected for p in o.problems
        ]
        raise ApiError(
            422,
            "import_rejected",
            f"{len(report.rejected)} row(s) were rejected, so nothing was imported; "
            "fix them and import again (details name each row and field).",
            details,
        )
    return {"dry_run": dry_run} | report.to_dict()


@router.get("/faq/{key}")
async def get_entry(key: str, workbench: WorkbenchDep) -> dict:
    return {"entry": (await call(workbench.curation.entry, key)).to_dict()}


@router.put("/faq/{key}")
async def replace_entry(
    key: str, body: EntryIn, workbench: WorkbenchDep, editor: EditorDep
) -> dict:
    """Replace the entry; send `revision` to be told (409) if someone saved it meanwhile."""
    entry = await call(workbench.curation.update, key, body.entry(key), editor, body.revision)
    return {"entry": entry.to_dict()}


@router.patch("/faq/{key}")
async def change_entry(
    key: str, body: EntryPatch, workbench: WorkbenchDep, editor: EditorDep
) -> dict:
    """Change some fields, e.g. `{"enabled": false}` to stop answering an entry."""
    current = await call(workbench.curation.entry, key)
    changed = body.applied_to(current)
    entry = await call(workbench.curation.update, key, changed, editor, body.revision)
    return {"entry": entry.to_dict()}


@router.delete("/faq/{key}")
async def delete_entry(
    key: str,
    workbench: WorkbenchDep,
    editor: EditorDep,
    revision: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
) -> dict:
    record = await call(workbench.curation.delete, key, editor, revision)
    return {"deleted": key, "history_id": record.id}


@router.get("/faq/{key}/history")
async def entry_history(
    key: str, workbench: WorkbenchDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict:
    """The entry's changes, newest first: who, when, before and after."""
    records = await call(workbench.curation.history, key, limit)
    return {"history": [r.to_dict() for r in records]}


@router.post("/faq/{key}/revert/{history_id}")
async def revert_entry(
    key: str, history_id: RowId, workbench: WorkbenchDep, editor: EditorDep
) -> dict:
    """Put the entry back as it was before that change (null: it did not exist then)."""
    entry = await call(workbench.curation.revert, key, history_id, editor)
    return {"entry": entry.to_dict() if entry else None}


@router.get("/history")
async def all_history(
    workbench: WorkbenchDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict:
    """Every entry's changes, newest first."""
    records = await call(workbench.curation.history, None, limit)
    return {"history": [r.to_dict() for r in records]}


# --- intent examples ----------------------------------------------------------------------


class ExamplesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: str = Field(max_length=255, examples=["return_request", "faq/gift_card"])
    texts: list[str] = Field(min_length=1, max_length=500)


@router.get("/intents")
async def list_intents(workbench: WorkbenchDep) -> dict:
    """Every intent the next training teaches, with its number of examples."""
    counts = await call(workbench.curation.intents)
    return {
        "intents": [
            {"name": name, "examples": n, "faq": name.startswith(FAQ_PREFIX)}
            for name, n in counts.items()
        ]
    }


@router.get("/examples")
async def list_examples(workbench: WorkbenchDep, intent: str | None = None) -> dict:
    """Examples added from the workbench (nlu_data's own are in the files)."""
    examples = await call(workbench.curation.store.examples, intent)
    return {"examples": [x.to_dict() for x in examples]}


@router.post("/examples", status_code=201)
async def add_examples(body: ExamplesIn, workbench: WorkbenchDep, editor: EditorDep) -> dict:
    """Teach an intent more sentences, e.g. a misunderstood customer question; for
    `faq/<key>` they become question variants of the entry. Known ones are skipped."""
    report = await call(workbench.curation.add_examples, body.intent, body.texts, editor)
    return report.to_dict()


@router.delete("/examples/{example_id}")
async def remove_example(example_id: RowId, workbench: WorkbenchDep) -> dict:
    removed = await call(workbench.curation.remove_example, example_id)
    return {"removed": removed.to_dict()}


# --- training -------------------------------------------------------------------------------


@router.post("/train", status_code=202)
async def start_training(workbench: WorkbenchDep, editor: EditorDep) -> dict:
    """Retrain in the background on the current knowledge (409 while a run is going);
    follow it with GET /v1/admin/train."""
    run = await call(workbench.trainer.start, editor)
    return {"run": run.to_dict()}


@router.get("/train")
async def training_status(workbench: WorkbenchDep, services: ServicesDep) -> dict:
    """The latest runs, the model this worker serves, and whether edits await training."""
    runs = await call(workbench.curation.store.runs, 5)
    pending: bool | None = None
    problem = None
    try:
        data = await run_in_threadpool(workbench.curation.training_data)
        pending = data.fingerprint != workbench.deployment.data_hash
    except DataError as exc:  # a broken nlu_data file: the status must still answer
        problem = str(exc)
    manifest = services.assistant.model.manifest
    return {
        "run": runs[0].to_dict() if runs else None,
        "recent": [r.to_dict(findings=False) for r in runs],
        "serving": {"data_hash": manifest.get("data_hash"), "created": manifest.get("created")},
        "pending_changes": pending,
        "knowledge_error": problem,
    }
