"""Everything the API serves with, built once in the lifespan from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from bot.assistant import LoadedAssistant, build_engine, load_interpreter, load_schedule
from bot.engine import Engine
from bot.hours import Schedule
from bot.operators import OperatorDesk
from bot.settings import Settings
from bot.stores import Stores, open_stores

__all__ = ["Services", "build_services"]


@dataclass
class Services:
    settings: Settings
    assistant: LoadedAssistant
    stores: Stores
    engine: Engine
    desk: OperatorDesk
    schedule: Schedule

    def close(self) -> None:
        self.stores.close()


def build_services(settings: Settings) -> Services:
    assistant = load_interpreter(settings)
    stores = open_stores(
        settings.resolved_database_url,
        settings.var_dir,
        max_attachment_bytes=settings.max_attachment_bytes,
    )
    schedule = load_schedule(settings)
    engine = build_engine(settings, assistant, stores, schedule)
    return Services(settings, assistant, stores, engine, OperatorDesk(engine), schedule)
