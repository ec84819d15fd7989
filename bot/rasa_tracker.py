"""What a Rasa 3.6 action call says about the conversation, and Rasa's event shapes.

Rasa posts the conversation's tracker with every custom-action call (`POST /webhook`):
its slots, the latest message's parse and every event since the conversation started.
`RasaTracker` reads the parts Pasokhgoo's actions need; `slot_set`, `pause` and
`active_loop` build the events they answer with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.dialogue.forms import Form
from bot.domain import TranscriptEntry
from bot.training_data import FAQ_PREFIX

__all__ = [
    "REQUESTED_SLOT",
    "RasaTracker",
    "active_loop",
    "pause",
    "slot_set",
]

REQUESTED_SLOT = "requested_slot"


def slot_set(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def pause() -> dict[str, Any]:
    """Rasa's `ConversationPaused`: the bot stays silent until the conversation resumes."""
    return {"event": "pause", "timestamp": None}


def active_loop(name: str | None) -> dict[str, Any]:
    return {"event": "active_loop", "timestamp": None, "name": name}


def _when(timestamp: Any) -> datetime:
    if isinstance(timestamp, int | float):
        return datetime.fromtimestamp(timestamp, UTC)
    return datetime.now(UTC)


@dataclass(frozen=True)
class RasaTracker:
    sender_id: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    latest_message: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], sender_id: str | None = None) -> RasaTracker:
        """Read Rasa's `tracker` object (`current_state(EventVerbosity.ALL)`)."""
        events = data.get("events") or []
        return cls(
            sender_id=str(sender_id or data.get("sender_id") or "default"),
            slots=dict(data.get("slots") or {}),
            latest_message=dict(data.get("latest_message") or {}),
            events=tuple(e for e in events if isinstance(e, Mapping)),
        )

    @property
    def text(self) -> str:
        return str(self.latest_message.get("text") or "")

    @property
    def requested_slot(self) -> str | None:
        return self.slots.get(REQUESTED_SLOT)

    def attachment_ids(self) -> tuple[str, ...]:
        """Attachment ids the channel sent in the message's metadata, as `/v1/chat` does."""
        metadata = self.latest_message.get("metadata") or {}
        ids = metadata.get("attachment_ids", []) if isinstance(metadata, Mapping) else []
        if not isinstance(ids, list):
            return ()
        return tuple(i for i in ids if isinstance(i, str) and len(i) <= 64)[:10]

    def faq_key(self) -> str | None:
        """The FAQ entry the NLU chose: Rasa's `full_retrieval_intent_name`, else the
        response selector's top answer when the intent is the retrieval intent."""
        intent = self.latest_message.get("intent") or {}
        name = intent.get("full_retrieval_intent_name")
        if not name and intent.get("name") == FAQ_PREFIX.rstrip("/"):
            selector = (self.latest_message.get("response_selector") or {}).get("faq") or {}
            name = (selector.get("response") or {}).get("intent_response_key")
        if isinstance(name, str) and name.startswith(FAQ_PREFIX):
            return name.removeprefix(FAQ_PREFIX)
        return None

    def slots_to_validate(self, form: Form) -> dict[str, Any]:
        """The form's slots that Rasa asks to validate: the `SlotSet`s after the form's
        own `ActionExecuted` (Rasa's temporary validation tracker), else the trailing ones."""
        names = {slot.name for slot in form.slots}
        tail: list[Mapping[str, Any]] = []
        for event in reversed(self.events):
            if event.get("event") == "action" and event.get("name") == form.name:
                break
            tail.append(event)
        else:
            tail = []
            for event in reversed(self.events):
                if event.get("event") != "slot":
                    break
                tail.append(event)
        values: dict[str, Any] = {}
        for event in reversed(tail):  # oldest first, so the last value wins
            if event.get("event") == "slot" and event.get("name") in names:
                values[str(event["name"])] = event.get("value")
        return values

    def attempts(self, slot: str) -> int:
        """How many messages in a row the customer sent while `slot` was asked for."""
        requested: Any = None
        asked_at_message: list[Any] = []
        for event in self.events:
            kind = event.get("event")
            if kind == "slot" and event.get("name") == REQUESTED_SLOT:
                requested = event.get("value")
            elif kind == "user":
                asked_at_message.append(requested)
        count = 0
        for asked in reversed(asked_at_message):
            if asked != slot:
                break
            count += 1
        return count

    def turns_running(self, action: str) -> int:
        """How many turns in a row before the latest message ran `action`."""
        turns: list[set[str]] = []
        for event in self.events:
            if event.get("event") == "user":
                turns.append(set())
            elif event.get("event") == "action" and turns:
                turns[-1].add(str(event.get("name")))
        count = 0
        for ran in reversed(turns[:-1]):
            if action not in ran:
                break
            count += 1
        return count

    def bot_spoke_since_message(self) -> bool:
        """Whether a bot message follows the customer's latest message."""
        for event in reversed(self.events):
            kind = event.get("event")
            if kind == "user":
                return False
            if kind == "bot":
                return True
        return False

    def transcript(self, limit: int = 50) -> list[TranscriptEntry]:
        """The conversation's messages since it last resumed, as transcript lines."""
        lines: list[TranscriptEntry] = []
        for event in _since_resume(self.events):
            kind = event.get("event")
            text = event.get("text")
            if kind in ("user", "bot") and isinstance(text, str) and text:
                role = "customer" if kind == "user" else "bot"
                at = _when(event.get("timestamp"))
                lines.append(TranscriptEntry(self.sender_id, role, text, at))
        return lines[-limit:]


def _since_resume(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    kept: list[Mapping[str, Any]] = []
    for event in events:
        if event.get("event") in ("resume", "restart"):
            kept = []
        else:
            kept.append(event)
    return kept
