"""What the recorded conversations teach the content team: knowledge gaps (clustered
unanswered questions, each one action away from a draft entry or more examples), drafts
from operators' answers, and the figures per day and channel (JSON and PNG charts).
Every route needs the admin token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep, require_admin
from api.errors import ApiError
from api.schemas import INT64_MAX
from api.workbench import ADMIN_ERRORS, EditorDep, RowId, WorkbenchDep, call, moment
from bot.knowledge.analytics import METRICS, report
from bot.knowledge.charts import chart_png
from bot.knowledge.gaps import Gap, cluster_gaps
from bot.knowledge.records import FaqEntry, SuggestionStatus
from bot.knowledge.rules import normalized
from bot.knowledge.training import Workbench

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)

Since = Annotated[str | None, Query(description="7d, 24h, 30m, an ISO date or time (default 7d)")]
Until = Annotated[str | None, Query(description="like since (default now)")]
LowConfidence = Annotated[
    float, Query(ge=0, le=1, description="answers below this confidence count as gaps")
]


def _period(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    start = moment("since", since, now - timedelta(days=7))
    end = moment("until", until, now)
    if start >= end:
        raise ApiError(
            422,
            "invalid_request",
            "since must be before until.",
            [{"field": "since", "type": "order", "message": "since >= until"}],
        )
    return start, end


# --- knowledge gaps -------------------------------------------------------------------------


def _gaps(services, workbench: Workbench, start: datetime, end: datetime, low: float) -> list[Gap]:
    turns = services.stores.turns.turns(start, end)
    background = [normalized(x.text) for x in workbench.curation.training_data().examples]
    return cluster_gaps(turns, background, low_confidence=low)


@router.get("/gaps")
async def list_gaps(
    services: ServicesDep,
    workbench: WorkbenchDep,
    since: Since = None,
    until: Until = None,
    low_confidence: LowConfidence = 0.6,
    min_count: Annotated[int, Query(ge=1, le=INT64_MAX)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    """Unanswered and low-confidence questions, clustered by topic, biggest first.

    Act on a cluster with the `since` and `until` this answer gives (absolute times), so
    the same messages are clustered again."""
    start, end = _period(since, until)
    gaps = await call(_gaps, services, workbench, start, end, low_confidence)
    shown = [g for g in gaps if g.count >= min_count]
    return {
        "since": start.isoformat(),
        "until": end.isoformat(),
        "messages": sum(g.count for g in gaps),
        "clusters": len(gaps),
        "gaps": [g.to_dict() for g in shown[:limit]],
    }


class ClusterRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: str = Field(description="as the gap listing returned it")
    until: str = Field(description="as the gap listing returned it")
    low_confidence: float = Field(0.6, ge=0, le=1)


class PromoteIn(ClusterRef):
    key: str = Field(max_length=200, examples=["gift_card"])
    answer: str = Field("", max_length=20_000)
    title: str = Field("", max_length=1000)
    category: str = Field("", max_length=255)
    tags: list[str] = Field(default_factory=list, max_length=50)
    enabled: bool = Field(False, description="false: a draft, answered once enabled")


class AssignIn(ClusterRef):
    intent: str = Field(max_length=255, examples=["return_request", "faq/gift_card"])


async def _cluster(services, workbench: Workbench, cluster_id: str, ref: ClusterRef) -> Gap:
    start, end = _period(ref.since, ref.until)
    gaps = await call(_gaps, services, workbench, start, end, ref.low_confidence)
    for gap in gaps:
        if gap.id == cluster_id:
            return gap
    raise ApiError(
        404,
        "cluster_not_found",
        f"No cluster {cluster_id} in that period; list the gaps again and use its since/until.",
    )


@router.post("/gaps/{cluster_id}/promote", status_code=201)
async def promote_gap(
    cluster_id: str,
    body: PromoteIn,
    services: ServicesDep,
    workbench: WorkbenchDep,
    editor: EditorDep,
) -> dict:
    """A new FAQ entry whose question variants are the cluster's messages (a draft unless
    `enabled`); write its answer, enable it, train."""
    gap = await _cluster(services, workbench, cluster_id, body)
    draft = FaqEntry(
        key=body.key,
        questions=(),
        answer=body.answer,
        title=body.title,
        category=body.category,
        tags=tuple(body.tags),
        enabled=body.enabled,
    )
    note = f"from knowledge gap {cluster_id}"
    entry = await call(workbench.curation.promote, gap.messages, draft, editor, note)
    return {"entry": entry.to_dict()}


@router.post("/gaps/{cluster_id}/assign")
async def assign_gap(
    cluster_id: str,
    body: AssignIn,
    services: ServicesDep,
    workbench: WorkbenchDep,
    editor: EditorDep,
) -> dict:
    """Teach an existing intent (or FAQ entry, `faq/<key>`) the cluster's messages."""
    gap = await _cluster(services, workbench, cluster_id, body)
    added = await call(workbench.curation.add_examples, body.intent, list(gap.messages), editor)
    return added.to_dict()


# --- drafts from operators' answers --------------------------------------------------------


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=200)
    questions: list[str] = Field(
        default_factory=list, max_length=500, description="more variants besides the question"
    )
    answer: str = Field("", max_length=20_000, description="default: the operator's answer")
    title: str = Field("", max_length=1000)
    category: str = Field("", max_length=255)
    tags: list[str] = Field(default_factory=list, max_length=50)
    enabled: bool = False


@router.get("/suggestions")
async def list_suggestions(
    workbench: WorkbenchDep,
    status: SuggestionStatus | None = SuggestionStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    """Questions operators answered, each offered as a draft FAQ entry, newest first."""
    found = await call(workbench.curation.store.suggestions, status, limit)
    return {"suggestions": [s.to_dict() for s in found]}


@router.post("/suggestions/{suggestion_id}/accept", status_code=201)
async def accept_suggestion(
    suggestion_id: RowId, body: AcceptIn, workbench: WorkbenchDep, editor: EditorDep
) -> dict:
    """Make the draft an entry: the customer's question plus `questions`, the operator's
    answer unless `answer` is given."""
    draft = FaqEntry(
        key=body.key,
        questions=tuple(body.questions),
        answer=body.answer,
        title=body.title,
        category=body.category,
        tags=tuple(body.tags),
        enabled=body.enabled,
    )
    entry = await call(workbench.curation.accept, suggestion_id, draft, editor)
    return {"entry": entry.to_dict()}


@router.post("/suggestions/{suggestion_id}/dismiss")
async def dismiss_suggestion(suggestion_id: RowId, workbench: WorkbenchDep) -> dict:
    dismissed = await call(workbench.curation.dismiss, suggestion_id)
    return {"suggestion": dismissed.to_dict()}


# --- figures -------------------------------------------------------------------------------


def _report(services, since: str | None, until: str | None, channel: str | None):
    start, end = _period(since, until)
    turns = services.stores.turns.turns(start, end)
    if channel is not None:
        turns = [t for t in turns if t.channel == channel]
    return report(turns, start, end)


@router.get("/analytics")
async def analytics(
    services: ServicesDep, since: Since = None, until: Until = None, channel: str | None = None
) -> dict:
    """Per day (Iran time) and per channel: conversations, automatic answers (deflection
    rate), clarifications, escalations, tickets, fallback rate; top intents and FAQ keys;
    `series` holds one list per metric for charts. Definitions: docs/content-team.md."""
    _period(since, until)  # a bad parameter is a 422 before any work
    found = await call(_report, services, since, until, channel)
    return found.to_dict()


@router.get("/analytics/chart.png", response_class=Response)
async def analytics_chart(
    services: ServicesDep,
    metric: Annotated[str, Query(description=", ".join(METRICS))] = "conversations",
    since: Since = None,
    until: Until = None,
    channel: str | None = None,
) -> Response:
    """One metric per day as a PNG bar chart (rates as a line)."""
    if metric not in METRICS:
        raise ApiError(
            422,
            "invalid_request",
            f"metric must be one of {', '.join(METRICS)}.",
            [{"field": "metric", "type": "enum", "message": f"unknown metric {metric!r}"}],
        )
    _period(since, until)
    found = await call(_report, services, since, until, channel)
    png = await call(chart_png, found, metric)
    return Response(png, media_type="image/png")
