"""Rasa's action-server protocol: Pasokhgoo runs a Rasa 3.6 bot's custom actions.

    POST /webhook   {"next_action", "sender_id", "tracker", "domain"?, "version"}
                    → {"events": [...], "responses": [...]}
    GET  /actions   [{"name": "action_answer_faq"}, ...]

An unknown action is answered as the Rasa SDK answers it — 404 with
`{"error": "...", "action_name": "..."}` — since that is the body Rasa reads; every other
error keeps the API's one error shape.

With `PASOKHGOO_ACTION_TOKEN` set, both routes want it as `?token=`, which is how Rasa
sends endpoints.yml's `action_endpoint.token`; without it anyone who reaches the server
could store tickets or queue any conversation for an operator, so startup warns.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ServicesDep, SettingsDep
from api.errors import ApiError, ErrorBody
from api.schemas import SENDER_PATTERN
from bot.rasa_actions import RasaActionServer, UnknownAction
from bot.rasa_tracker import RasaTracker

__all__ = ["router"]

log = logging.getLogger("pasokhgoo.rasa")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Say once at startup when the actions are open to anyone."""
    if app.state.settings.action_token is None:
        log.warning(
            "rasa.action_server_open: POST /webhook takes calls from anyone; "
            "set PASOKHGOO_ACTION_TOKEN and `pasokhgoo rasa export` again"
        )
    yield


def require_action_token(
    settings: SettingsDep,
    token: Annotated[str | None, Query(description="PASOKHGOO_ACTION_TOKEN, when set")] = None,
) -> None:
    """Rasa's call, when a token is configured: it comes as `?token=` (Rasa's default)."""
    expected = settings.action_token
    if expected is None:
        return
    if not token:
        raise ApiError(401, "unauthorized", "The action server needs its token (?token=).")
    # digests first, so not even the token's length shows in the timing
    given_digest = hashlib.sha256(token.encode()).digest()
    expected_digest = hashlib.sha256(expected.get_secret_value().encode()).digest()
    if not hmac.compare_digest(given_digest, expected_digest):
        raise ApiError(403, "forbidden", "The action server's token is wrong.")


router = APIRouter(tags=["rasa"], lifespan=lifespan, dependencies=[Depends(require_action_token)])


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
        401: {"model": ErrorBody, "description": "no token, and PASOKHGOO_ACTION_TOKEN is set"},
        403: {"model": ErrorBody, "description": "a wrong token"},
        404: {"model": ActionNotFound, "description": "no such action (Rasa SDK's body)"},
        422: {"model": ErrorBody, "description": "not an action call"},
    },
)
async def run_action(body: ActionCall, services: ServicesDep) -> Any:
    """Run one custom action of a Rasa bot (Rasa's `action_endpoint`)."""
    server = RasaActionServer(services.engine)
    tracker = RasaTracker.from_dict(body.tracker, body.sender_id)
    if not SENDER_PATTERN.match(tracker.sender_id):
        # a channel's own conversation (`telegram:…`) is not Rasa's to queue or ticket
        raise ApiError(
            422,
            "invalid_request",
            "The sender id is not one a Rasa conversation can have.",
            [{"field": "sender_id", "type": "string_pattern_mismatch"}],
        )
    try:
        result = await run_in_threadpool(server.run, body.next_action, tracker)
    except UnknownAction as exc:
        return JSONResponse({"error": str(exc), "action_name": exc.name}, status_code=404)
    return result.to_dict()


@router.get(
    "/actions",
    response_model=list[ActionName],
    responses={
        401: {"model": ErrorBody, "description": "no token, and PASOKHGOO_ACTION_TOKEN is set"},
        403: {"model": ErrorBody, "description": "a wrong token"},
    },
)
async def list_actions(services: ServicesDep) -> list[dict[str, str]]:
    """The actions this server runs, as the Rasa SDK lists them."""
    return [{"name": name} for name in RasaActionServer(services.engine).names]
