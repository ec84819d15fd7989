"""`pasokhgoo telegram poll`: PTB's getUpdates loop, for a host Telegram cannot call.

Starting to poll deletes any webhook (Telegram serves one or the other). Each update goes
to the same `TelegramChannel.process` as the webhook's.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from telegram import Update, User
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

from api.services import Services
from api.telegram.channel import TelegramChannel
from api.telegram.relay import relaying
from api.telegram.setup import ALLOWED_UPDATES, build_bot, start_bot

__all__ = ["poll", "poll_until_signal"]


async def poll(
    channel: TelegramChannel,
    stop: asyncio.Event,
    *,
    timeout: int = 30,
    ready: Callable[[User], None] | None = None,
) -> None:
    """Fetch and handle updates until `stop` is set; `timeout` is getUpdates' long poll."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await channel.process(update)

    # updates run concurrently; the channel keeps one customer's in order
    application = ApplicationBuilder().bot(channel.bot).concurrent_updates(True).build()
    application.add_handler(TypeHandler(Update, handle))
    try:
        me = await start_bot(channel.bot, required=True)
    except BaseException:
        await channel.bot.shutdown()
        raise
    assert me is not None
    async with application:
        await application.start()
        updater = application.updater
        assert updater is not None
        await updater.start_polling(timeout=timeout, allowed_updates=list(ALLOWED_UPDATES))
        try:
            if ready is not None:
                ready(me)
            async with relaying(channel):
                await stop.wait()
        finally:
            await updater.stop()
            await application.stop()


async def poll_until_signal(services: Services, ready: Callable[[User], None]) -> None:
    """Poll until SIGINT (Ctrl-C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    channel = TelegramChannel(build_bot(services.settings), services)
    await poll(channel, stop, ready=ready)
