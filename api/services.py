"""Everything the API serves with, built once in the lifespan from the settings."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.assistant import LoadedAssistant, load_interpreter
from bot.engine import Engine
from bot.hours import Channel, Schedule, Window, faq_note, load_closures
from bot.operators import OperatorDesk
from bot.settings import Settings
from bot.stores import Stores, open_stores

__all__ = ["Services", "build_services"]

log = logging.getLogger("pasokhgoo.api")


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


def _titles(assistant: LoadedAssistant) -> dict[str, str]:
    """Suggestion-button titles: each intent's `metadata: {title: …}` in nlu_data."""
    return dict(assistant.data.titles)


def build_services(settings: Settings) -> Services:
    assistant = load_interpreter(settings)
    stores = open_stores(
        settings.resolved_database_url,
        settings.var_dir,
        max_attachment_bytes=settings.max_attachment_bytes,
    )
    closures_file = settings.data_dir / "closures.yml"
    closures = load_closures(closures_file) if closures_file.exists() else []
    windows = [Window.parse(part) for part in settings.operator_hours.split(",")]
    schedule = Schedule.default(closures=closures, operator_hours=windows)

    def operator_hours_open(now: datetime) -> bool:
        return schedule.status(Channel.OPERATOR, now).open

    engine = Engine(
        interpreter=assistant.interpreter,
        stores=stores,
        titles=_titles(assistant),
        faq_note=functools.partial(faq_note, schedule=schedule),
        operator_hours_open=operator_hours_open,
    )
    return Services(settings, assistant, stores, engine, OperatorDesk(engine), schedule)
