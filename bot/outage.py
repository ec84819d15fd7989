"""Answering through a database outage: the conversation states a worker last saw.

FAQ answers need no database, so a turn should not fail because the conversation store
does not answer. `OutageMemory` wraps the engine's load/save/append: when the store
raises `StorageError` it serves the state this worker last saved (or a fresh one), keeps
the unsaved state, and hands it back once the database answers again unless the
database holds a newer one. Ticket creation is not covered: it fails as a whole and the
customer is told so (`bot.engine`), since an acknowledged ticket must be in the database.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence

from bot.domain import ConversationState, TranscriptEntry
from bot.errors import StorageError
from bot.ports import ConversationStore

__all__ = ["OutageMemory"]

log = logging.getLogger("pasokhgoo.engine")


class OutageMemory:
    """The last state of up to `max_states` conversations, and whether it was saved."""

    def __init__(self, max_states: int = 10_000) -> None:
        self._states: OrderedDict[str, tuple[ConversationState, bool]] = OrderedDict()
        self._guard = threading.Lock()
        self._max = max_states

    def load(self, store: ConversationStore, sender_id: str) -> ConversationState:
        try:
            state = store.load(sender_id)
        except StorageError as exc:
            log.warning("conversation.load_failed code=%s", exc.code)
            kept = self._get(sender_id)
            return kept[0] if kept else ConversationState(sender_id)
        kept = self._get(sender_id)
        if kept and not kept[1] and _newer(kept[0], state):
            return kept[0]  # changed here while the database was down
        return state

    def save(self, store: ConversationStore, state: ConversationState) -> None:
        try:
            store.save(state)
        except StorageError as exc:
            log.warning("conversation.save_failed code=%s", exc.code)
            self._put(state, saved=False)
            return
        self._put(state, saved=True)

    def append(
        self, store: ConversationStore, entries: Sequence[TranscriptEntry]
    ) -> list[TranscriptEntry]:
        """The stored lines; while the database is down, the lines unsaved (no ids)."""
        try:
            return store.append(entries)
        except StorageError as exc:
            log.warning("transcript.append_failed code=%s", exc.code)
            return list(entries)

    def _get(self, sender_id: str) -> tuple[ConversationState, bool] | None:
        with self._guard:
            kept = self._states.get(sender_id)
        return (copy.deepcopy(kept[0]), kept[1]) if kept else None

    def _put(self, state: ConversationState, *, saved: bool) -> None:
        kept = copy.deepcopy(state)
        with self._guard:
            self._states.pop(state.sender_id, None)
            self._states[state.sender_id] = (kept, saved)
            while len(self._states) > self._max:
                self._states.popitem(last=False)


def _newer(kept: ConversationState, stored: ConversationState) -> bool:
    if kept.updated_at is None:
        return False
    return stored.updated_at is None or kept.updated_at > stored.updated_at
