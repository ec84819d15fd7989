"""Customer-facing endpoints: chat (ours and Rasa's REST channel), live messages,
attachments, Rasa's `/model/parse`, and FAQ search."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    File,
    Path,
    Query,
    Request,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.concurrency import run_in_threadpool

from api.deps import ServicesDep, SettingsDep
from api.errors import ApiError, ErrorBody
from api.schemas import (
    INT64_MAX,
    SENDER_PATTERN,
    ChatRequest,
    ChatResponse,
    ParseRequest,
    RasaMessage,
    RasaReply,
)
from bot.domain import InboundMessage
from bot.engine import TurnResult
from bot.errors import AttachmentRejected
from bot.settings import Settings

__all__ = ["router"]

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "message longer than the configured limit"},
    422: {"model": ErrorBody, "description": "malformed request or empty message"},
    503: {"model": ErrorBody, "description": "the service or its database is unavailable"},
}
LIMITED: dict[int | str, dict[str, Any]] = ERRORS | {
    429: {"model": ErrorBody, "description": "over the per-sender or per-IP rate limit"}
}


def check_length(text: str, settings: Settings) -> None:
    if len(text) > settings.max_message_chars:
        raise ApiError(
            413,
            "message_too_long",
            f"The message has {len(text)} characters; the limit is {settings.max_message_chars}.",
            [{"field": "text", "limit": settings.max_message_chars, "length": len(text)}],
        )


def _attachment_ids(metadata: dict[str, Any]) -> tuple[str, ...]:
    ids = metadata.get("attachment_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) and len(i) <= 64 for i in ids):
        raise ApiError(
            422,
            "invalid_request",
            "metadata.attachment_ids must be a list of ids.",
            [{"field": "metadata.attachment_ids", "type": "list[str]"}],
        )
    return tuple(ids[:10])


def _inbound(
    sender_id: str, text: str, channel: str, metadata: dict[str, Any], settings: Settings
) -> InboundMessage:
    check_length(text, settings)
    attachments = _attachment_ids(metadata)
    if not text.strip() and not attachments:
        raise ApiError(
            422, "empty_message", "The message is empty.", [{"field": "text", "type": "empty"}]
        )
    return InboundMessage(sender_id, text, channel, metadata, attachments)


async def _handle(services, message: InboundMessage) -> TurnResult:
    return await run_in_threadpool(services.engine.handle, message)


@router.post("/v1/chat", tags=["chat"], response_model=ChatResponse, responses=LIMITED)
async def chat(
    body: ChatRequest, services: ServicesDep, settings: SettingsDep, request: Request
) -> dict:
    """Send a customer's message; get the bot's replies and what it understood."""
    await request.app.state.rate_limits.check(request, body.sender_id)
    message = _inbound(body.sender_id, body.text, body.channel, body.metadata, settings)
    result = await _handle(services, message)
    return result.to_dict()


@router.post(
    "/webhooks/rest/webhook",
    tags=["rasa"],
    response_model=list[RasaReply],
    response_model_exclude_none=True,
    responses=LIMITED,
)
async def rasa_rest_webhook(
    body: RasaMessage, services: ServicesDep, settings: SettingsDep, request: Request
) -> list[dict]:
    """Rasa's REST channel: existing Rasa chat widgets work unchanged."""
    await request.app.state.rate_limits.check(request, body.sender)
    message = _inbound(body.sender, body.message, "rasa_rest", body.metadata, settings)
    result = await _handle(services, message)
    replies = []
    for reply in result.replies:
        item: dict[str, Any] = {"recipient_id": body.sender, "text": reply.text}
        if reply.buttons:
            item["buttons"] = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        replies.append(item)
    return replies


@router.get("/v1/chat/{sender_id}/messages", tags=["chat"], responses=ERRORS)
async def messages(
    sender_id: Annotated[str, Path(pattern=SENDER_PATTERN)],
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="return lines after this id")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    """The conversation's transcript after a line id: the polling fallback to the
    WebSocket, so operator messages reach a customer without a reload."""
    lines = await run_in_threadpool(
        services.stores.conversations.transcript, sender_id, after, limit
    )
    state = await run_in_threadpool(services.stores.conversations.load, sender_id)
    return {
        "sender_id": sender_id,
        "mode": str(state.mode),
        "messages": [line.to_dict() for line in lines],
    }


@router.websocket("/v1/chat/{sender_id}/ws")
async def chat_events(websocket: WebSocket, sender_id: str) -> None:
    """Live events of one conversation (operator messages, handoff changes) as JSON."""
    if not re.match(SENDER_PATTERN, sender_id):
        await websocket.close(code=1008)
        return
    await stream_events(websocket, sender_id)


async def stream_events(websocket: WebSocket, key: str) -> None:
    """Subscribe to `key`'s events (one conversation, or "*" for all), accept the socket
    once the subscription delivers (with Redis, nothing published after "connected" is
    missed), and forward events until the client goes away."""
    subscription = websocket.app.state.services.engine.bus.subscribe(key)
    try:
        ready = getattr(subscription, "ready", None)
        if ready is not None:
            await ready()
        await websocket.accept()
        await _pump(websocket, subscription)
    finally:
        subscription.close()


async def _pump(websocket: WebSocket, subscription) -> None:
    """Forward bus events to the socket until the client goes away."""
    receiver = asyncio.create_task(websocket.receive_text())
    try:
        while True:
            getter = asyncio.create_task(subscription.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                try:
                    receiver.result()
                except WebSocketDisconnect:
                    return
                receiver = asyncio.create_task(websocket.receive_text())  # pings are ignored
                continue
            await websocket.send_json(getter.result())
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await receiver


@router.post(
    "/v1/chat/{sender_id}/attachments",
    tags=["chat"],
    status_code=201,
    responses=ERRORS | {415: {"model": ErrorBody, "description": "not a photo/video"}},
)
async def upload_attachment(
    sender_id: Annotated[str, Path(pattern=SENDER_PATTERN)],
    services: ServicesDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a photo or video for the ticket")],
) -> dict:
    """Upload a photo or video; send its id in the next message's
    `metadata.attachment_ids` when the ticket form asks for an attachment."""
    content = await file.read(settings.max_attachment_bytes + 1)
    try:
        attachment = await run_in_threadpool(
            services.stores.attachments.save, sender_id, file.filename or "upload", content
        )
    except AttachmentRejected as exc:
        status = 413 if exc.code == "attachment_too_large" else 415
        raise ApiError(status, exc.code, str(exc)) from exc
    return {"id": attachment.id, "kind": attachment.kind, "size": attachment.size}


@router.post("/model/parse", tags=["rasa"], responses=ERRORS)
async def model_parse(body: ParseRequest, services: ServicesDep, settings: SettingsDep) -> dict:
    """Rasa 3.6's NLU parse result for one message (Pasokhgoo as Rasa's NLU server)."""
    check_length(body.text, settings)
    parse = await run_in_threadpool(services.assistant.interpreter.parse, body.text)
    return parse.to_rasa()


@router.get("/v1/faq/search", tags=["faq"], responses=ERRORS)
async def faq_search(
    services: ServicesDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, description="the question")],
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict:
    """The FAQ entries closest to a question, with their answers."""
    check_length(q, settings)
    interpreter = services.assistant.interpreter
    # a search costs milliseconds of CPU: off the event loop, like every chat turn
    hits = await run_in_threadpool(interpreter.model.index.search, q, k)
    return {
        "query": q,
        "hits": [
            {
                "key": h.key,
                "score": round(h.score, 4),
                "question": h.question,
                "answer": (interpreter.responses.get(f"utter_faq/{h.key}") or [None])[0],
            }
            for h in hits
        ],
    }
