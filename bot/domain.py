"""The conversation domain: messages, conversation state, tickets — plain dataclasses.

Everything the engine decides on or stores is one of these; the ports in `bot.ports`
move them in and out of storage. State serialises to JSON (`to_dict`/`from_dict`), so a
conversation survives a restart and continues on another worker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Attachment",
    "Button",
    "ConversationState",
    "FormState",
    "InboundMessage",
    "Mode",
    "Reply",
    "Ticket",
    "TicketDraft",
    "TicketEvent",
    "TicketStatus",
    "TicketType",
    "TranscriptEntry",
    "Turn",
]


class Mode(StrEnum):
    BOT = "bot"
    WAITING = "waiting"  # waiting for an operator to claim the conversation
    OPERATOR = "operator"  # an operator holds it; the bot stays silent


class TicketType(StrEnum):
    TICKET = "ticket"
    RETURN = "return"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


# open → in_progress → answered → closed; a customer's follow-up may reopen an answered one
TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.ANSWERED, TicketStatus.CLOSED}),
    TicketStatus.ANSWERED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [asdict(b) for b in self.buttons]}


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer message from any channel, as the engine sees it."""

    sender_id: str
    text: str
    channel: str = "rest"
    metadata: dict[str, Any] = field(default_factory=dict)
    attachment_ids: tuple[str, ...] = ()


@dataclass
class FormState:
    name: str  # "ticket_form" | "return_form"
    slots: dict[str, Any] = field(default_factory=dict)
    requested_slot: str | None = None
    retries: int = 0  # invalid answers to the current slot in a row


@dataclass
class ConversationState:
    sender_id: str
    channel: str = "rest"
    mode: Mode = Mode.BOT
    form: FormState | None = None
    fallback_streak: int = 0
    last_suggestions: list[str] = field(default_factory=list)
    operator: str | None = None
    escalation_reason: str | None = None
    waiting_since: datetime | None = None  # when the customer joined the operator queue
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = str(self.mode)
        for name in ("updated_at", "waiting_since"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        form = data.get("form")

        def when(name: str) -> datetime | None:
            value = data.get(name)
            return datetime.fromisoformat(value) if value else None

        return cls(
            sender_id=data["sender_id"],
            channel=data.get("channel", "rest"),
            mode=Mode(data.get("mode", Mode.BOT)),
            form=FormState(**form) if form else None,
            fallback_streak=int(data.get("fallback_streak", 0)),
            last_suggestions=list(data.get("last_suggestions", [])),
            operator=data.get("operator"),
            escalation_reason=data.get("escalation_reason"),
            waiting_since=when("waiting_since"),
            updated_at=when("updated_at"),
        )


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """A line of a conversation: who said it (customer, bot, operator) and when."""

    sender_id: str
    role: str
    text: str
    at: datetime
    id: int | None = None
    buttons: tuple[Button, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "text": self.text,
            "at": self.at.isoformat(),
            "buttons": [asdict(b) for b in self.buttons],
        }


@dataclass(frozen=True, slots=True)
class Attachment:
    id: str
    kind: str  # "photo" | "video"
    mime: str
    size: int
    original_name: str


@dataclass(frozen=True, slots=True)
class TicketDraft:
    type: TicketType
    topic: str
    message: str
    sender_id: str
    channel: str = "rest"
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    order_number: str | None = None
    reason: str | None = None
    attachment_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketEvent:
    at: datetime
    actor: str
    status: TicketStatus
    note: str = ""


@dataclass(frozen=True)
class Ticket:
    tracking_code: str
    type: TicketType
    topic: str
    message: str
    status: TicketStatus
    sender_id: str
    channel: str
    created_at: datetime
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    order_number: str | None = None
    reason: str | None = None
    attachments: tuple[Attachment, ...] = ()
    history: tuple[TicketEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class Turn:
    """One handled message, recorded for analytics (text normalised, contacts masked)."""

    sender_id: str
    channel: str
    at: datetime
    text: str
    intent: str | None
    confidence: float
    action: str
    latency_ms: float
    ranking: tuple[tuple[str, float], ...] = ()
    faq_key: str | None = None
