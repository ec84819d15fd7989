"""The live-operator desk: the waiting queue, claim, reply, close.

While an operator holds a conversation the bot is silent (`Mode.OPERATOR`); the
customer's messages are relayed to the operator and the operator's replies reach the
customer through the event bus (WebSocket) and the transcript (polling). An operator's
answer is also offered to the content team as a FAQ draft (`bot.knowledge.drafts`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.dialogue import texts
from bot.domain import ConversationState, Mode, TranscriptEntry
from bot.engine import Engine
from bot.knowledge.drafts import offer_draft

__all__ = ["HandoffError", "OperatorDesk", "QueueItem"]

log = logging.getLogger("pasokhgoo.handoff")


class HandoffError(ValueError):
    """An operator action that the conversation's state does not allow."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class QueueItem:
    state: ConversationState
    transcript: list[TranscriptEntry]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sender_id": self.state.sender_id,
            "channel": self.state.channel,
            "status": "waiting" if self.state.mode is Mode.WAITING else "claimed",
            "operator": self.state.operator,
            "reason": self.state.escalation_reason,
            "since": self.state.waiting_since.isoformat() if self.state.waiting_since else None,
            "transcript": [e.to_dict() for e in self.transcript],
        }


class OperatorDesk:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conversations = engine.stores.conversations

    def _say(self, sender_id: str, role: str, text: str, now: datetime) -> TranscriptEntry:
        entry = self.conversations.append([TranscriptEntry(sender_id, role, text, now)])[0]
        self.engine.bus.publish(sender_id, {"type": "message", **entry.to_dict()})
        return entry

    def seen(self, operator: str) -> None:
        self.engine.presence.seen(operator, self.engine.clock())

    def queue(self, transcript_limit: int = 50) -> list[QueueItem]:
        items = []
        now = self.engine.clock()
        states = self.conversations.waiting()
        oldest_first = sorted(states, key=lambda st: st.waiting_since or st.updated_at or now)
        for state in oldest_first:
            lines = self.conversations.transcript(state.sender_id, 0, 10_000)
            items.append(QueueItem(state, lines[-transcript_limit:]))
        return items

    def claim(self, sender_id: str, operator: str) -> ConversationState:
        with self.engine.locks.hold(sender_id):
            state = self.conversations.load(sender_id)
            if state.mode is Mode.BOT:
                raise HandoffError(
                    "not_waiting", "This conversation is not waiting for an operator."
                )
            if state.mode is Mode.OPERATOR and state.operator != operator:
                raise HandoffError("claimed_by_other", "Another operator holds this conversation.")
            now = self.engine.clock()
            state.mode, state.operator, state.updated_at = Mode.OPERATOR, operator, now
            self.conversations.save(state)
            self._say(sender_id, "bot", texts.HANDOFF_CLAIMED, now)
        log.info("handoff.claimed")
        return state

    def _held(self, sender_id: str, operator: str) -> ConversationState:
        state = self.conversations.load(sender_id)
        if state.mode is not Mode.OPERATOR:
            raise HandoffError("not_claimed", "Claim the conversation first.")
        if state.operator != operator:
            raise HandoffError("claimed_by_other", "Another operator holds this conversation.")
        return state

    def reply(self, sender_id: str, operator: str, text: str) -> TranscriptEntry:
        with self.engine.locks.hold(sender_id):
            self._held(sender_id, operator)
            entry = self._say(sender_id, "operator", text, self.engine.clock())
        log.info("handoff.reply")
        # the question and this answer become a FAQ draft for the content team
        offer_draft(self.engine, sender_id, operator, entry)
        return entry

    def close(self, sender_id: str, operator: str) -> ConversationState:
        with self.engine.locks.hold(sender_id):
            state = self._held(sender_id, operator)
            now = self.engine.clock()
            state.mode, state.operator, state.escalation_reason = Mode.BOT, None, None
            state.waiting_since = None
            state.fallback_streak, state.updated_at = 0, now
            self.conversations.save(state)
            self._say(sender_id, "bot", texts.HANDOFF_CLOSED, now)
        log.info("handoff.closed")
        return state
