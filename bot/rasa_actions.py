"""Pasokhgoo as a Rasa action server: the custom actions a Rasa 3.6 bot calls.

Rasa runs the dialogue (rules, forms) and posts each custom action to `POST /webhook`
with the conversation's tracker; an action answers with Rasa events and bot messages.
The forms are the native engine's (`bot.dialogue.forms`): the same Persian prompts,
hints, buttons and validators, and tickets are stored the same way.

    action_answer_faq           the FAQ entry's answer, with today's note (holidays)
    action_fallback             ask to rephrase; the second miss in a row escalates
    action_handoff              the operator queue, and Rasa's pause event
    validate_<form>             each new slot value read by the slot's validator
    action_ask_<form>_<slot>    the slot's prompt (after the form's intro on the first)
    action_submit_<form>        store the ticket or return request, clear the form
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.dialogue import texts
from bot.dialogue.forms import FORMS, Form, Slot, is_cancel
from bot.dialogue.policy import Action, Decision, draft_ticket, fall_back, hand_off
from bot.domain import ConversationState, Reply, TranscriptEntry
from bot.engine import Engine, ticket_confirmation
from bot.errors import PasokhgooError
from bot.rasa_tracker import REQUESTED_SLOT, RasaTracker, active_loop, pause, slot_set

__all__ = [
    "ANSWER_FAQ",
    "CHANNEL",
    "FALLBACK",
    "HANDOFF",
    "SKIPPED",
    "ActionResult",
    "RasaActionServer",
    "UnknownAction",
    "action_names",
    "ask_action",
    "submit_action",
    "validate_action",
]

log = logging.getLogger("pasokhgoo.rasa")

ANSWER_FAQ = "action_answer_faq"
FALLBACK = "action_fallback"
HANDOFF = "action_handoff"
CHANNEL = "rasa"  # the channel tickets and queued conversations from Rasa are recorded under
# A skipped optional slot: Rasa asks again for a slot that is None, so it needs a value.
SKIPPED = "skipped"
FORM_SLOTS = tuple(dict.fromkeys(slot.name for form in FORMS.values() for slot in form.slots))


def validate_action(form: Form) -> str:
    return f"validate_{form.name}"


def ask_action(form: Form, slot: Slot) -> str:
    return f"action_ask_{form.name}_{slot.name}"  # the first name Rasa's forms look for


def submit_action(form: Form) -> str:
    return f"action_submit_{form.name}"


def action_names() -> list[str]:
    """Every action this server runs: the exported domain lists exactly these."""
    names = [ANSWER_FAQ, FALLBACK, HANDOFF]
    for form in FORMS.values():
        names += [validate_action(form), submit_action(form)]
        names += [ask_action(form, slot) for slot in form.slots]
    return names


class UnknownAction(LookupError):
    """Rasa asked for an action this server does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(f"No registered action found for name '{name}'.")
        self.name = name


@dataclass
class ActionResult:
    """Rasa's action-server reply: events to apply and messages to send."""

    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        responses = [
            {
                "text": reply.text,
                "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
            }
            for reply in self.replies
        ]
        return {"events": self.events, "responses": responses}


def _form_values(tracker: RasaTracker, form: Form) -> dict[str, Any]:
    """The form's filled slots as the native forms keep them (a skipped one is None)."""
    values = {}
    for slot in form.slots:
        value = tracker.slots.get(slot.name)
        if value is not None:
            values[slot.name] = None if value == SKIPPED else value
    return values


def _clear_forms() -> list[dict[str, Any]]:
    return [slot_set(name, None) for name in FORM_SLOTS]


class RasaActionServer:
    """Runs Rasa's custom actions on the engine's interpreter, stores and operator desk."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.interpreter = engine.interpreter
        actions: dict[str, Callable[[RasaTracker], ActionResult]] = {
            ANSWER_FAQ: self.answer_faq,
            FALLBACK: self.fallback,
            HANDOFF: self.handoff,
        }
        for form in FORMS.values():
            actions[validate_action(form)] = lambda t, f=form: self.validate(f, t)
            actions[submit_action(form)] = lambda t, f=form: self.submit(f, t)
            for slot in form.slots:
                actions[ask_action(form, slot)] = lambda t, f=form, s=slot: self.ask(f, s, t)
        self.actions = actions

    @property
    def names(self) -> list[str]:
        return list(self.actions)

    def run(self, name: str, tracker: RasaTracker) -> ActionResult:
        action = self.actions.get(name)
        if action is None:
            raise UnknownAction(name)
        result = action(tracker)
        log.info("rasa.action name=%s events=%d", name, len(result.events))
        return result

    def _faq_answer(self, key: str) -> str | None:
        ctx = self.engine.context(self.engine.clock())
        answers = ctx.responses.get(f"utter_faq/{key}")
        if not answers:
            return None
        note = ctx.faq_note(key, ctx.now)
        return f"{answers[0]}\n{note}" if note else answers[0]

    def answer_faq(self, tracker: RasaTracker) -> ActionResult:
        """The answer for the FAQ entry Rasa's NLU chose; Pasokhgoo's own understanding
        picks the entry when the parse names none (Rasa with an NLU pipeline of its own)."""
        key = tracker.faq_key()
        if key is None:
            parse = self.interpreter.parse(tracker.text)
            key = parse.intent.faq_key if parse.understood else None
        answer = self._faq_answer(key) if key else None
        if answer is None:
            return ActionResult(replies=[Reply(texts.FALLBACK, texts.FALLBACK_BUTTONS)])
        return ActionResult(replies=[Reply(answer)])

    def fallback(self, tracker: RasaTracker) -> ActionResult:
        """The native fallback: ask to rephrase with ticket and operator buttons; the
        second miss in a row hands off to an operator, or opens the ticket form."""
        now = self.engine.clock()
        state = ConversationState(tracker.sender_id, CHANNEL)
        state.fallback_streak = tracker.turns_running(FALLBACK)
        decision = fall_back(self.interpreter.parse(tracker.text), state, self.engine.context(now))
        if decision.action is Action.HANDOFF:
            return self.handoff(tracker, "not understood twice in a row")
        events = []
        if decision.state.form is not None:
            # the form Rasa runs next asks nothing more: the opening is said here
            form = decision.state.form
            events = [active_loop(form.name), slot_set(REQUESTED_SLOT, form.requested_slot)]
        return ActionResult(events, decision.replies)

    def handoff(
        self, tracker: RasaTracker, reason: str = "customer asked for a person"
    ) -> ActionResult:
        """Put the conversation in the operator queue (with what was said in Rasa) and
        pause it in Rasa; when nobody is available, say so and offer a ticket."""
        engine = self.engine
        events = _clear_forms()
        with engine.locks.hold(tracker.sender_id):
            now = engine.clock()
            state = engine.stores.conversations.load(tracker.sender_id)
            decision = hand_off(state, engine.context(now), f"{reason} (Rasa)")
            if decision.handoff == "waiting":
                self._queue(tracker, decision, now)
                events.append(pause())
        log.info("rasa.handoff status=%s", decision.handoff)
        return ActionResult(events, decision.replies)

    def _queue(self, tracker: RasaTracker, decision: Decision, now: datetime) -> None:
        conversations = self.engine.stores.conversations
        decision.state.channel, decision.state.updated_at = CHANNEL, now
        lines = tracker.transcript()
        lines += [TranscriptEntry(tracker.sender_id, "bot", r.text, now) for r in decision.replies]
        saved = conversations.append(lines)
        conversations.save(decision.state)
        for entry in saved:
            # the operator console follows the queue live, as for native conversations
            self.engine.bus.publish(tracker.sender_id, {"type": "message", **entry.to_dict()})

    def validate(self, form: Form, tracker: RasaTracker) -> ActionResult:
        """Read each value Rasa extracted with the slot's own validator: a valid one is
        kept as the validator read it, an invalid one is cleared and its hint sent."""
        result = ActionResult()
        for name, value in tracker.slots_to_validate(form).items():
            if value is None or not isinstance(value, str):
                continue  # already validated (a skipped slot, a confirmation, attachments)
            slot = form.slot(name)
            parse = self.interpreter.parse(value)
            if is_cancel(value, parse):
                # ends the form; its submit action sees no confirmation and says so
                result.events += [slot_set("confirm", False), slot_set(REQUESTED_SLOT, None)]
                return result
            attachments = tracker.attachment_ids() if name == "attachment" else ()
            answer = slot.read(value, parse, attachments)
            faq_key = parse.intent.faq_key if parse.understood else None
            if faq_key and not slot.free_text and (not answer.valid or name == "name"):
                # a question in the middle of a form: answer it, then ask the slot again
                result.events.append(slot_set(name, None))
                answer_text = self._faq_answer(faq_key)
                if answer_text:
                    result.replies.append(Reply(answer_text))
                prompt = slot.ask(_form_values(tracker, form))
                result.replies.append(Reply(f"{texts.FORM_RESUME}\n{prompt}", slot.buttons))
                continue
            if not answer.valid:
                hint = slot.hint
                if tracker.attempts(name) >= 2:
                    hint = f"{hint} {texts.CANCEL_HINT}"
                result.events.append(slot_set(name, None))
                result.replies.append(Reply(hint, slot.buttons))
                continue
            result.events.append(slot_set(name, SKIPPED if answer.skipped else answer.value))
        return result

    def ask(self, form: Form, slot: Slot, tracker: RasaTracker) -> ActionResult:
        """The slot's prompt; silent when the validator has just said why it asks again."""
        if tracker.requested_slot == slot.name and tracker.bot_spoke_since_message():
            return ActionResult()
        prompt = slot.ask(_form_values(tracker, form))
        if tracker.requested_slot is None:  # the form starts
            prompt = f"{form.start_text}\n{prompt}"
        return ActionResult(replies=[Reply(prompt, slot.buttons)])

    def submit(self, form: Form, tracker: RasaTracker) -> ActionResult:
        """Store the ticket the customer confirmed, or say the form was cancelled."""
        values = _form_values(tracker, form)
        if values.get("confirm") is not True:
            return ActionResult(_clear_forms(), [Reply(texts.FORM_CANCELLED)])
        draft = draft_ticket(form, values, tracker.sender_id, CHANNEL)
        try:
            ticket = self.engine.stores.tickets.create(draft)
        except PasokhgooError as exc:
            # nothing was stored: back to the confirmation, as the native engine does
            log.warning("ticket.create_failed code=%s", exc.code)
            events = [slot_set("confirm", None), active_loop(form.name)]
            return ActionResult(events, [Reply(texts.TICKET_FAILED)])
        log.info("ticket.created type=%s channel=%s", ticket.type, CHANNEL)
        return ActionResult(_clear_forms(), [Reply(ticket_confirmation(ticket))])
