"""`pasokhgoo serve`: one uvicorn process, or a supervisor with N worker processes.

With workers, the database is migrated and a model trained once before they start, so
they do not race to do it. That step runs in a short-lived child process: the supervisor
only watches and restarts workers, and should not keep a whole app's imports and memory.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Settings

__all__ = ["run"]


def run(
    settings: Settings,
    host: str,
    port: int,
    workers: int = 1,
    *,
    data: Path | None = None,
    model: Path | None = None,
) -> None:
    import uvicorn

    from bot.logs import uvicorn_log_config

    if workers == 1:
        from api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_config=uvicorn_log_config())
        return
    prepare(settings)
    # the workers build their settings from the environment: pass the options on
    if data is not None:
        os.environ["PASOKHGOO_DATA_DIR"] = str(data.resolve())
    if model is not None:
        os.environ["PASOKHGOO_MODEL_DIR"] = str(model.resolve())
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=uvicorn_log_config(),
    )


def prepare(settings: Settings) -> None:
    """Migrate, seed and train in a child process (waiting for the database if it is
    down); raise `ConfigError` if that fails."""
    child = multiprocessing.get_context("spawn").Process(
        target=_prepare, args=(settings,), name="pasokhgoo-prepare"
    )
    child.start()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        child.join()
    except (KeyboardInterrupt, SystemExit):
        child.terminate()  # it stops waiting for the database and exits
        child.join()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    if child.exitcode != 0:
        raise ConfigError(f"preparing the workers failed (exit code {child.exitcode}); see above")


def _exit_on_sigterm(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def _prepare(settings: Settings) -> None:
    import asyncio
    import logging.config

    from api.services import start_services
    from bot.logs import uvicorn_log_config

    logging.config.dictConfig(uvicorn_log_config())
    asyncio.run(start_services(settings)).close()
