"""Loading what serving needs: the knowledge base and a model trained on it.

`load_interpreter(settings)` reads `nlu_data/`, loads the saved model, and trains (and
saves) a new one when there is none, when it was trained on other data, or when it was
built for another normaliser — so a fresh clone serves on first start.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.engine import Engine
from bot.errors import ModelError
from bot.fallback import FallbackRule
from bot.hours import faq_note
from bot.live import Live, open_live
from bot.model import NluModel, load_model, save_model, train_model
from bot.nlu import Interpreter
from bot.schedule import Channel, Schedule, Window, load_closures
from bot.settings import Settings
from bot.stores import Stores
from bot.training_data import TrainingData, load_training_data

__all__ = [
    "LoadedAssistant",
    "build_engine",
    "load_interpreter",
    "load_schedule",
    "open_live_for",
]

log = logging.getLogger("pasokhgoo.model")


@dataclass
class LoadedAssistant:
    data: TrainingData
    model: NluModel
    interpreter: Interpreter
    trained_now: bool


def build_interpreter(model: NluModel, data: TrainingData, settings: Settings) -> Interpreter:
    rule = FallbackRule(settings.nlu_threshold, settings.ambiguity_margin)
    return Interpreter(model, data.responses, rule, data.synonyms)


def load_interpreter(
    settings: Settings, *, retrain_if_stale: bool = True, data: TrainingData | None = None
) -> LoadedAssistant:
    """`data`: what to serve and train on (the workbench's knowledge); default nlu_data."""
    data = data if data is not None else load_training_data(settings.data_dir)
    model_dir = settings.resolved_model_dir
    model: NluModel | None = None
    try:
        model = load_model(model_dir)
    except ModelError as exc:
        if not retrain_if_stale:
            raise
        log.info("model.retrain reason=%s", exc.code)
    if (
        model is not None
        and retrain_if_stale
        and model.manifest.get("data_hash") != data.fingerprint
    ):
        log.info("model.retrain reason=data_changed")
        model = None
    trained_now = model is None
    if model is None:
        model = train_model(data)
        save_model(model, model_dir)
        log.info("model.trained seconds=%s", model.manifest["train_seconds"])
    return LoadedAssistant(data, model, build_interpreter(model, data, settings), trained_now)


def load_schedule(settings: Settings) -> Schedule:
    """Opening hours (operators from the settings) and the closure days in the data folder."""
    closures_file = settings.data_dir / "closures.yml"
    closures = load_closures(closures_file) if closures_file.exists() else []
    windows = [Window.parse(part) for part in settings.operator_hours.split(",")]
    return Schedule.default(closures=closures, operator_hours=windows)


def build_engine(
    settings: Settings,
    loaded: LoadedAssistant,
    stores: Stores,
    schedule: Schedule | None = None,
    live: Live | None = None,
) -> Engine:
    """`live`: the locks, presence and event bus (default: what settings.redis_url names)."""
    schedule = schedule or load_schedule(settings)
    live = live or open_live_for(settings)

    def operator_hours_open(now: datetime) -> bool:
        return schedule.status(Channel.OPERATOR, now).open

    return Engine(
        interpreter=loaded.interpreter,
        stores=stores,
        titles=dict(loaded.data.titles),
        faq_note=functools.partial(faq_note, schedule=schedule),
        operator_hours_open=operator_hours_open,
        locks=live.locks,
        presence=live.presence,
        bus=live.bus,
    )


def open_live_for(settings: Settings) -> Live:
    return open_live(
        settings.redis_url,
        settings.redis_prefix,
        lock_ttl_seconds=settings.lock_ttl_seconds,
        lock_wait_seconds=settings.lock_wait_seconds,
    )
