"""Logging: stable dotted event names, and no phone number or email ever written out.

Events are logged as `name key=value …` (`chat.turn action=answer …`); customer text
is never logged above DEBUG. As a second line of defence every record — ours and
uvicorn's access log, whose URLs can carry a contact (`?contact=0912…`, URL-encoded as
`%2B98…`, `%DB%B0…` or `…%40example.com`) or a token (`?token=`) — passes through
`MaskContacts` before it is formatted.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from urllib.parse import unquote, unquote_plus

from bot.entities import mask_contacts

__all__ = ["MaskContacts", "configure_logging", "mask_log_text", "uvicorn_log_config"]

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# a URL's query parameter: `?name=value` or `&name=value`, up to a quote or a space
_QUERY_PARAM = re.compile(r"([?&][^=&#\s\"']+=)([^&#\s\"']*)")
# always hidden: staff and action tokens (`?token=`), a ticket lookup's `?contact=`
_SECRET_PARAMS = frozenset({"token", "contact"})


def _query_param(match: re.Match[str]) -> str:
    name, value = match.groups()
    if name[1:-1] in _SECRET_PARAMS and value:
        return f"{name}***"
    # a contact in any URL encoding: `%2B98…`, `%DB%B0…` (Persian digits), `…%40…`, `+`
    if any(mask_contacts(v) != v for v in {value, unquote(value), unquote_plus(value)}):
        return f"{name}***"
    return match.group()


def mask_log_text(text: str) -> str:
    """`text` with phone numbers, emails and URL secrets replaced."""
    text = _QUERY_PARAM.sub(_query_param, text)
    if "%" in text:  # a percent-encoded contact elsewhere in a URL (a path segment)
        decoded = unquote(text)
        if mask_contacts(decoded) != decoded:
            return mask_contacts(decoded)
    return mask_contacts(text)


def _masked(value: object) -> object:
    return mask_log_text(value) if isinstance(value, str) else value


class MaskContacts(logging.Filter):
    """Replaces phone numbers, emails and URL secrets in a record's arguments, keeping
    them arguments (uvicorn's access formatter unpacks them), then in the message they
    make and in the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        message = record.getMessage()
        masked = mask_log_text(message)
        if masked != message:  # in the text itself, or made by a non-string argument
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_log_text(logging.Formatter().formatException(record.exc_info))
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
