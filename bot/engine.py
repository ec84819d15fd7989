"""One chat turn, orchestrated: lock → load state → understand → decide → act → record → save.

`Engine.handle(message)` is the only way a customer's message reaches the bot, from
every channel. Deciding is pure (`bot.dialogue.policy`); everything with a side effect
happens here, through the ports.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.dialogue import texts
from bot.dialogue.forms import CONFIRM_BUTTONS, FORMS
from bot.dialogue.policy import Action, Context, Decision, decide
from bot.domain import (
    ConversationState,
    InboundMessage,
    Reply,
    Ticket,
    TicketType,
    TranscriptEntry,
    Turn,
)
from bot.entities import mask_contacts
from bot.errors import PasokhgooError
from bot.live import (
    ConversationLocks,
    EventBus,
    LocalBus,
    LocalLocks,
    LocalPresence,
    OperatorPresence,
)
from bot.nlu import Interpreter, Parse
from bot.outage import OutageMemory
from bot.stores import Stores
from bot.text import normalize, to_persian_digits

__all__ = ["Engine", "TurnResult", "ticket_confirmation"]

log = logging.getLogger("pasokhgoo.engine")


def ticket_confirmation(ticket: Ticket) -> str:
    """What the customer reads when their ticket or return request is stored."""
    if ticket.type is TicketType.RETURN:
        order = to_persian_digits(ticket.order_number or "")
        return texts.RETURN_CREATED.format(code=ticket.tracking_code, order=order)
    return texts.TICKET_CREATED.format(code=ticket.tracking_code)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _always_open(now: datetime) -> bool:
    return True


@dataclass
class TurnResult:
    sender_id: str
    replies: list[Reply]
    parse: Parse
    action: Action
    state: ConversationState
    ticket: Ticket | None = None
    handoff: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `/v1/chat` response body (a contract: see the README)."""
        form = self.state.form
        return {
            "sender_id": self.sender_id,
            "replies": [r.to_dict() for r in self.replies],
            "intent": self.parse.intent.to_dict(),
            "intent_ranking": [s.to_dict() for s in self.parse.ranking],
            "entities": [e.to_dict() for e in self.parse.entities],
            "action": str(self.action),
            "form": {"name": form.name, "requested_slot": form.requested_slot} if form else None,
            "ticket": {
                "tracking_code": self.ticket.tracking_code,
                "type": str(self.ticket.type),
                "status": str(self.ticket.status),
            }
            if self.ticket
            else None,
            "handoff": {"status": self.handoff} if self.handoff else None,
        }


@dataclass
class Engine:
    interpreter: Interpreter
    stores: Stores
    titles: Mapping[str, str] = field(default_factory=dict)
    faq_note: Callable[[str, datetime], str | None] | None = None
    operator_hours_open: Callable[[datetime], bool] = _always_open
    locks: ConversationLocks = field(default_factory=LocalLocks)
    presence: OperatorPresence = field(default_factory=LocalPresence)
    bus: EventBus = field(default_factory=LocalBus)
    clock: Callable[[], datetime] = _utcnow
    # the states this worker saw last, so FAQ answers survive a database outage
    outage: OutageMemory = field(default_factory=OutageMemory, repr=False)

    def operator_available(self, now: datetime) -> bool:
        return self.operator_hours_open(now) and bool(self.presence.online(now))

    def context(self, now: datetime, interpreter: Interpreter | None = None) -> Context:
        extra = {"faq_note": self.faq_note} if self.faq_note else {}
        responses = (interpreter or self.interpreter).responses
        return Context(now, self.operator_available(now), responses, self.titles, **extra)

    def handle(self, message: InboundMessage) -> TurnResult:
        started = time.perf_counter()
        with self.locks.hold(message.sender_id):
            state = self.outage.load(self.stores.conversations, message.sender_id)
            # read once: a retrained model may be swapped in meanwhile (bot.knowledge.training)
            interpreter = self.interpreter
            parse = interpreter.parse(message.text)
            now = self.clock()
            decision = decide(message, parse, state, self.context(now, interpreter))
            ticket = self._create_ticket(decision, state) if decision.ticket else None
            decision.state.updated_at = now
            # transcript first, then state: a crash in between leaves the old state,
            # and the customer simply repeats, rather than a state with no transcript
            self._record_transcript(message, decision, now)
            self.outage.save(self.stores.conversations, decision.state)
            latency = (time.perf_counter() - started) * 1000
            self._record_turn(message, parse, decision, now, latency)
        log.info(
            "chat.turn action=%s intent=%s confidence=%.2f latency_ms=%.1f",
            decision.action,
            parse.intent.name,
            parse.intent.confidence,
            latency,
        )
        return TurnResult(
            message.sender_id,
            decision.replies,
            parse,
            decision.action,
            decision.state,
            ticket,
            decision.handoff,
        )

    def _create_ticket(self, decision: Decision, before: ConversationState) -> Ticket | None:
        assert decision.ticket is not None
        try:
            ticket = self.stores.tickets.create(decision.ticket)
        except PasokhgooError as exc:
            # nothing was written: keep the form at its confirmation step to try again
            log.warning("ticket.create_failed code=%s", exc.code)
            decision.state.form = copy.deepcopy(before.form)
            assert decision.state.form is not None
            decision.action = Action(FORMS[decision.state.form.name].name)
            decision.replies = [Reply(texts.TICKET_FAILED, CONFIRM_BUTTONS)]
            return None
        decision.replies = [Reply(ticket_confirmation(ticket))]
        log.info("ticket.created type=%s", ticket.type)
        return ticket

    def _record_transcript(
        self, message: InboundMessage, decision: Decision, now: datetime
    ) -> None:
        entries = [TranscriptEntry(message.sender_id, "customer", message.text, now)]
        entries += [
            TranscriptEntry(message.sender_id, "bot", r.text, now, buttons=r.buttons)
            for r in decision.replies
        ]
        saved = self.outage.append(self.stores.conversations, entries)
        if decision.relay or decision.handoff == "waiting":
            # the operator console follows every conversation that needs a person
            for entry in saved:
                self.bus.publish(message.sender_id, {"type": "message", **entry.to_dict()})

    def _record_turn(
        self,
        message: InboundMessage,
        parse: Parse,
        decision: Decision,
        now: datetime,
        latency_ms: float,
    ) -> None:
        masked = mask_contacts(message.text)
        # the parse already holds the normalised text unless a contact had to be masked
        text = parse.normalized if masked == message.text else normalize(masked)
        turn = Turn(
            sender_id=message.sender_id,
            channel=message.channel,
            at=now,
            text=text,
            intent=parse.intent.name if parse.ranking else None,
            confidence=parse.intent.confidence,
            action=str(decision.action),
            latency_ms=round(latency_ms, 2),
            ranking=tuple((s.name, round(s.confidence, 4)) for s in parse.ranking[:5]),
            faq_key=decision.faq_key,
        )
        try:
            self.stores.turns.record(turn)
        except PasokhgooError as exc:  # analytics must never cost a customer their answer
            log.warning("turn.record_failed code=%s", exc.code)
