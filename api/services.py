"""Everything the API serves with, built once in the lifespan from the settings."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool

from bot.assistant import LoadedAssistant, build_engine, load_schedule, open_live_for
from bot.engine import Engine
from bot.errors import StorageError
from bot.knowledge.curation import Curation
from bot.knowledge.training import Workbench, load_knowledge, start_workbench
from bot.live import Live
from bot.operators import OperatorDesk
from bot.schedule import Schedule
from bot.settings import Settings
from bot.stores import Stores, open_stores

__all__ = ["Services", "build_services", "start_services"]

log = logging.getLogger("pasokhgoo.api")


@dataclass
class Services:
    settings: Settings
    assistant: LoadedAssistant
    stores: Stores
    engine: Engine
    desk: OperatorDesk
    schedule: Schedule
    # the content team's curation, training and model swaps (bot.knowledge)
    workbench: Workbench | None = field(default=None, repr=False)
    live: Live = field(default_factory=Live, repr=False)  # locks, presence, events

    def serve(self, loaded: LoadedAssistant) -> None:
        """Put a newly trained model in front of customers: turns that start after this
        use it; a turn already running keeps the interpreter it began with."""
        self.engine.titles = dict(loaded.data.titles)
        self.engine.interpreter = loaded.interpreter
        self.assistant = loaded

    def close(self) -> None:
        if self.workbench is not None:
            self.workbench.close()
        self.stores.close()
        self.live.close()


def build_services(settings: Settings) -> Services:
    stores = open_stores(
        settings.resolved_database_url,
        settings.var_dir,
        max_attachment_bytes=settings.max_attachment_bytes,
    )
    try:
        # nlu_data seeds the database's FAQ entries; the model serves both
        curation = Curation(stores.knowledge, settings.data_dir)
        serving = load_knowledge(settings, curation)
        assistant = serving[0]
        # hazm builds its Normalizer on first use (1-2 s): pay it before /readyz says
        # ready, not in the first customer's answer
        assistant.interpreter.parse("سلام")
        schedule = load_schedule(settings)
        live = open_live_for(settings)
        engine = build_engine(settings, assistant, stores, schedule, live)
    except BaseException:
        stores.close()
        raise
    services = Services(settings, assistant, stores, engine, OperatorDesk(engine), schedule)
    services.live = live
    # a training run on any worker signals every worker (through Redis when configured)
    services.workbench = start_workbench(settings, curation, serving, services.serve, live.releases)
    return services


async def start_services(settings: Settings) -> Services:
    """`build_services`, waiting while the database does not answer.

    A worker that uvicorn starts in place of a dead one during a database outage would
    otherwise fail its startup, and uvicorn stops every worker when one cannot start.
    Waiting, it takes no connections (the other workers do) until the database is back.
    A broken configuration still fails at once (`ConfigError`); SIGTERM or SIGINT ends
    the wait."""
    stop = asyncio.Event()
    pause = 0.5
    with _stop_on_signal(stop):
        while True:
            try:
                return await run_in_threadpool(build_services, settings)
            except StorageError as exc:
                log.warning("storage.waiting retry_in_s=%.1f error=%s", pause, exc)
            try:
                await asyncio.wait_for(stop.wait(), pause)
            except TimeoutError:
                pause = min(pause * 2, 10.0)
                continue
            raise StorageError("stopped while waiting for the database")


@contextmanager
def _stop_on_signal(stop: asyncio.Event) -> Iterator[None]:
    """Set `stop` on SIGTERM/SIGINT, then pass the signal on to uvicorn's own handler
    (signals reach the main thread only; elsewhere, as under a test client, do nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous = {}

    def handler(signum: int, frame) -> None:
        loop.call_soon_threadsafe(stop.set)
        before = previous[signum]
        if callable(before):
            before(signum, frame)

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)
