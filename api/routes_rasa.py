"""Rasa's action-server protocol: Pasokhgoo runs a Rasa 3.6 bot's custom actions.

    POST /webhook   {"next_action", "sender_id", "tracker", "domain"?, "version"}
                    → {"events": [...], "responses": [...]}
    GET  /actions   [{"name": "action_answer_faq"}, ...]

An unknown action is answered as the Rasa SDK answers it — 404 with
`{"error": "...", "action_name": "..."}` — since that is the body Rasa reads; every other
error keeps the API's one error shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from api.errors import ErrorBody
from bot.rasa_actions import RasaActionServer, UnknownAction
from bot.rasa_tracker import RasaTracker

__all__ = ["router"]

router = APIRouter(tags=["rasa"])


class ActionCall(BaseModel):
    """What Rasa posts to its action endpoint for one custom action."""

    next_action: str = Field(..., min_length=1, max_length=200)
    sender_id: str | None = Field(None, max_length=128)
    tracker: dict[str, Any] = Field(default_factory=dict)
    domain: dict[str, Any] | None = None
    version: str | None = None


class ActionNotFound(BaseModel):
    error: str
    action_name: str


class ActionResponse(BaseModel):
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]


class ActionName(BaseModel):
    name: str


@router.post(
    "/webhook",
    response_model=ActionResponse,
    responses={
        404: {"model": ActionNotFound, "description": "no such action (Rasa SDK's body)"},
        422: {"model": ErrorBody, "description": "not an action call"},
    },
)
async def run_action(body: ActionCall, services: ServicesDep) -> Any:
    """Run one custom action of a Rasa bot (Rasa's `action_endpoint`)."""
    server = RasaActionServer(services.engine)
    tracker = RasaTracker.from_dict(body.tracker, body.sender_id)
    try:
        result = await run_in_threadpool(server.run, body.next_action, tracker)
    except UnknownAction as exc:
        return JSONResponse({"error": str(exc), "action_name": exc.name}, status_code=404)
    return result.to_dict()


@router.get("/actions", response_model=list[ActionName])
async def list_actions(services: ServicesDep) -> list[dict[str, str]]:
    """The actions this server runs, as the Rasa SDK lists them."""
    return [{"name": name} for name in RasaActionServer(services.engine).names]
