"""Operator messages to Telegram customers: the bus → sendMessage.

The engine answers a customer's own messages in the same turn; what an operator says, and
the desk's "an operator joined / the conversation ended" notices, happen later and reach
a Telegram chat only through here. The bus delivers every conversation's events ("*").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from api.telegram.channel import TelegramChannel, chat_id_of
from bot.dialogue import texts
from bot.domain import Reply
from bot.live import ALL, Subscription

__all__ = ["relayed", "relaying"]

log = logging.getLogger("pasokhgoo.telegram")

# The desk's own notices (bot.operators). The bot's replies within a turn are published
# too while a customer waits, but the channel sent those already with the turn.
DESK_NOTICES = frozenset({texts.HANDOFF_CLAIMED, texts.HANDOFF_CLOSED})


def relayed(event: Mapping[str, Any]) -> tuple[int, str] | None:
    """The Telegram chat and the text to send for a bus event, or None to pass it by."""
    if event.get("type") != "message":
        return None
    chat_id = chat_id_of(str(event.get("sender_id", "")))
    text = event.get("text")
    if chat_id is None or not isinstance(text, str) or not text:
        return None
    role = event.get("role")
    if role == "operator" or (role == "bot" and text in DESK_NOTICES):
        return chat_id, text
    return None


async def _relay(channel: TelegramChannel, subscription: Subscription) -> None:
    while True:
        target = relayed(await subscription.get())
        if target is None:
            continue
        chat_id, text = target
        try:
            await channel.send(chat_id, [Reply(text)])
        except Exception as exc:  # one chat's failure must not end the relay
            log.warning("telegram.relay_failed type=%s", type(exc).__name__)
        else:
            log.info("telegram.relayed")


@asynccontextmanager
async def relaying(channel: TelegramChannel) -> AsyncIterator[None]:
    """Relay operator messages to Telegram while the block runs."""
    subscription = channel.services.engine.bus.subscribe(ALL)
    task = asyncio.create_task(_relay(channel, subscription), name="telegram-relay")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        subscription.close()
