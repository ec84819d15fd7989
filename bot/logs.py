"""Logging: stable dotted event names, and no phone number or email ever written out.

Events are logged as `name key=value …` (`chat.turn action=answer …`); customer text
is never logged above DEBUG. As a second line of defence every record — ours and
uvicorn's access log, whose URLs can carry a contact (`?contact=0912…`) — passes
through `MaskContacts` before it is formatted.
"""

from __future__ import annotations

import copy
import logging
import re

from bot.entities import mask_contacts

__all__ = ["MaskContacts", "configure_logging", "uvicorn_log_config"]

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"']+")


class MaskContacts(logging.Filter):
    """Replaces phone numbers, emails and URL tokens (`?token=`, the operator console's
    WebSocket) in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _TOKEN_IN_URL.sub(r"\1***", mask_contacts(message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: int | str = logging.INFO) -> None:
    """Our loggers and uvicorn's to stderr, every handler behind `MaskContacts`."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(MaskContacts())
    pasokhgoo = logging.getLogger("pasokhgoo")
    pasokhgoo.handlers[:] = [handler]
    pasokhgoo.setLevel(level)
    pasokhgoo.propagate = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        for existing in logging.getLogger(name).handlers:
            existing.addFilter(MaskContacts())


def uvicorn_log_config(level: str = "INFO") -> dict:
    """uvicorn's own logging config, with `MaskContacts` on every handler and our
    `pasokhgoo.*` loggers sharing its stderr handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"mask_contacts": {"()": "bot.logs.MaskContacts"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["mask_contacts"]
    config["loggers"]["pasokhgoo"] = {"handlers": ["default"], "level": level, "propagate": False}
    return config
