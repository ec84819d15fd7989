"""`POST /webhooks/telegram`, and the lifespan that connects the server to Telegram.

Telegram sends the secret given to setWebhook in `X-Telegram-Bot-Api-Secret-Token`; it is
compared in constant time. The update is handled after the 200 is sent: Telegram waits
for no reply, and resends an update it got no 200 for (the channel drops a repeat).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, FastAPI, Header, Request
from pydantic import SecretStr
from telegram import Bot, Update

from api.errors import ApiError, ErrorBody
from api.telegram.channel import TelegramChannel
from api.telegram.relay import relaying
from api.telegram.setup import build_bot, check_webhook_secret, start_bot
from bot.settings import Settings

__all__ = ["SECRET_HEADER", "router"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """With a token set: getMe, then the operator relay, until the server stops."""
    app.state.telegram = None
    services = app.state.services
    settings: Settings = services.settings
    if settings.telegram_token is None:
        yield
        return
    if settings.telegram_webhook_secret is not None:
        check_webhook_secret(settings)
    channel = TelegramChannel(build_bot(settings), services)
    try:
        await start_bot(channel.bot, required=False)
        async with relaying(channel):
            app.state.telegram = channel
            yield
    finally:
        app.state.telegram = None
        await channel.bot.shutdown()


router = APIRouter(lifespan=lifespan)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the body is not JSON"},
    401: {"model": ErrorBody, "description": f"no {SECRET_HEADER} header"},
    403: {"model": ErrorBody, "description": "a wrong secret"},
    404: {"model": ErrorBody, "description": "Telegram is not configured on this server"},
    422: {"model": ErrorBody, "description": "not a Telegram update"},
}


def _check_secret(given: str | None, expected: SecretStr) -> None:
    if given is None:
        raise ApiError(401, "unauthorized", f"The {SECRET_HEADER} header is missing.")
    # digests first, so not even the secret's length shows in the timing
    given_digest = hashlib.sha256(given.encode()).digest()
    expected_digest = hashlib.sha256(expected.get_secret_value().encode()).digest()
    if not hmac.compare_digest(given_digest, expected_digest):
        raise ApiError(403, "forbidden", f"The {SECRET_HEADER} header is wrong.")


async def _update(request: Request, bot: Bot) -> Update:
    try:
        data = json.loads(await request.body())
    except ValueError:
        raise ApiError(400, "malformed_body", "The request body is not JSON.") from None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise ApiError(422, "invalid_request", "The body is not a Telegram update.")
    try:
        return Update.de_json(data, bot)
    except (KeyError, TypeError, ValueError):
        raise ApiError(422, "invalid_request", "The body is not a Telegram update.") from None


@router.post("/webhooks/telegram", tags=["telegram"], responses=ERRORS)
async def telegram_webhook(
    request: Request,
    background: BackgroundTasks,
    secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
) -> dict[str, bool]:
    """Telegram's webhook (see `pasokhgoo telegram set-webhook`): answered at once, the
    update handled right after."""
    channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
    settings: Settings = request.app.state.settings
    if channel is None or settings.telegram_webhook_secret is None:
        raise ApiError(
            404,
            "telegram_disabled",
            "Telegram's webhook is off here: set PASOKHGOO_TELEGRAM_TOKEN and "
            "PASOKHGOO_TELEGRAM_WEBHOOK_SECRET.",
        )
    _check_secret(secret, settings.telegram_webhook_secret)
    update = await _update(request, channel.bot)
    background.add_task(channel.process, update)
    return {"ok": True}
