"""The engine's replies in Telegram's shape: text parts within the message limit, and
buttons as inline keyboards whose callback data is the button's payload."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.domain import Button

__all__ = ["CallbackPayloads", "split_text", "utf16_length"]

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4,096
CALLBACK_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
_KEY_PREFIX = "#"  # payloads start with "/", so a key never reads as a payload


def utf16_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP is two."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    if len(text) * 2 <= limit:  # even all-astral text fits
        return len(text)
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit`, cut at a line break in the second half of a
    part, else at the last space, else (one endless word) at the limit itself."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        end = _fitting_prefix(rest, limit)
        if end == len(rest):
            parts.append(rest)
            break
        window = rest[: end + 1]  # a break right after the limit still counts
        cut = window.rfind("\n")
        if cut < end // 2:
            space = window.rfind(" ")  # not ZWNJ (U+200C): it joins the parts of a word
            cut = space if space > 0 else (cut if cut > 0 else end)
        head, rest = rest[:cut].rstrip(), rest[cut:].strip()
        if head:
            parts.append(head)
    return parts


class CallbackPayloads:
    """Button payloads as callback data. Telegram carries 64 bytes; a longer payload goes
    by a short key remembered here (the most recent `remember` of them)."""

    def __init__(self, remember: int = 10_000) -> None:
        self._long: OrderedDict[str, str] = OrderedDict()
        self._remember = remember

    def data_for(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith(_KEY_PREFIX):
            return payload
        key = _KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self._remember:
            self._long.popitem(last=False)
        return key

    def payload_for(self, data: str) -> str | None:
        """The payload a pressed button stands for; None for a key forgotten (a restart)."""
        if data.startswith(_KEY_PREFIX):
            return self._long.get(data)
        return data

    def keyboard(self, buttons: Iterable[Button]) -> InlineKeyboardMarkup | None:
        """One button a row: Persian titles are long, and a row shares the chat's width."""
        rows = [
            [InlineKeyboardButton(b.title, callback_data=self.data_for(b.payload))] for b in buttons
        ]
        return InlineKeyboardMarkup(rows) if rows else None
