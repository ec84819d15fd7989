"""Deciding what to do with one message: pure, so it is tested with plain tables.

`decide(message, parse, state, context)` reads the parse, the conversation state and a
context (the time, whether an operator is available, the responses) and returns a
`Decision`: the action, the replies, the new state, and a ticket to create if any.
It does no I/O and never reads the clock; the engine carries the decision out.

    confident FAQ / small talk     → answer
    top candidates close together  → clarify with up to three suggestion buttons
    not understood                 → fallback (rephrase, or ticket / operator buttons);
                                     the second in a row escalates
    request_human                  → hand off, or say nobody is available and offer a ticket
    return_request / create_ticket → the return / ticket form
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.dialogue import texts
from bot.dialogue.forms import FORMS, REASONS, RETURN_FORM, TICKET_FORM, Form, is_cancel
from bot.domain import (
    Button,
    ConversationState,
    FormState,
    InboundMessage,
    Mode,
    Reply,
    TicketDraft,
    TicketType,
)
from bot.entities import extract_entities
from bot.fallback import Confidence
from bot.nlu import Parse

__all__ = [
    "FALLBACK_INTENTS",
    "Action",
    "Context",
    "Decision",
    "decide",
    "draft_ticket",
    "fall_back",
    "hand_off",
]

SMALL_TALK = frozenset({"greet", "goodbye", "thanks", "bot_challenge"})
NOT_SUGGESTED = SMALL_TALK | {"affirm", "deny", "cancel", "out_of_scope", "skip", "inform"}
FORM_INTENTS = {"return_request": RETURN_FORM, "create_ticket": TICKET_FORM}
FALLBACK_INTENTS = ("out_of_scope", "nlu_fallback")
FORM_ACTIONS = {"ticket_form": "ticket_form", "return_form": "return_form"}


class Action(StrEnum):
    ANSWER = "answer"
    SMALLTALK = "smalltalk"
    CLARIFY = "clarify"
    FALLBACK = "fallback"
    TICKET_FORM = "ticket_form"
    RETURN_FORM = "return_form"
    TICKET_CREATED = "ticket_created"
    HANDOFF = "handoff"


def _no_note(key: str, now: datetime) -> str | None:
    return None


@dataclass(frozen=True)
class Context:
    now: datetime
    operator_available: bool
    responses: Mapping[str, list[str]]
    titles: Mapping[str, str] = field(default_factory=dict)
    faq_note: Callable[[str, datetime], str | None] = _no_note
    max_suggestions: int = 3
    escalate_after: int = 2  # fallbacks in a row before escalating
    # a suggestion must be at least this confident to be offered as a button
    suggestion_floor: float = 0.1


@dataclass
class Decision:
    action: Action
    replies: list[Reply]
    state: ConversationState
    ticket: TicketDraft | None = None
    handoff: str | None = None  # waiting | unavailable | with_operator | left
    faq_key: str | None = None
    relay: bool = False  # pass the customer's message on to the operator


def decide(
    message: InboundMessage, parse: Parse, state: ConversationState, ctx: Context
) -> Decision:
    state = copy.deepcopy(state)
    state.channel = message.channel
    if state.mode is Mode.OPERATOR:
        return Decision(Action.HANDOFF, [], state, handoff="with_operator", relay=True)
    if state.mode is Mode.WAITING:
        if is_cancel(message.text, parse):
            state.mode, state.escalation_reason, state.waiting_since = Mode.BOT, None, None
            return Decision(
                Action.HANDOFF, [Reply(texts.HANDOFF_LEFT_QUEUE)], state, handoff="left"
            )
        return Decision(
            Action.HANDOFF,
            [Reply(texts.HANDOFF_STILL_WAITING)],
            state,
            handoff="waiting",
            relay=True,
        )
    if state.form is not None:
        return _form_turn(message, parse, state, ctx)
    return _bot_turn(message, parse, state, ctx)


def _response(ctx: Context, intent: str) -> str | None:
    found = ctx.responses.get(f"utter_{intent}")
    return found[0] if found else None


def _answer(parse: Parse, state: ConversationState, ctx: Context, intent: str) -> Decision:
    text = _response(ctx, intent)
    if text is None:
        return fall_back(parse, state, ctx)
    state.fallback_streak = 0
    state.last_suggestions = []
    if intent.startswith("faq/"):
        key = intent.removeprefix("faq/")
        note = ctx.faq_note(key, ctx.now)
        if note:
            text = f"{text}\n{note}"
        return Decision(Action.ANSWER, [Reply(text)], state, faq_key=key)
    return Decision(Action.SMALLTALK, [Reply(text)], state)


def _bot_turn(
    message: InboundMessage, parse: Parse, state: ConversationState, ctx: Context
) -> Decision:
    intent = parse.intent.name
    verdict = parse.verdict.confidence
    if verdict is Confidence.LOW or intent in FALLBACK_INTENTS:
        return fall_back(parse, state, ctx)
    if verdict is Confidence.AMBIGUOUS and intent not in SMALL_TALK:
        suggestions = _suggestions(parse, ctx)
        if len(suggestions) >= 2:
            state.last_suggestions = [b.payload.removeprefix("/") for b in suggestions]
            buttons = (*suggestions, texts.CLARIFY_NONE_OF_THESE)
            return Decision(Action.CLARIFY, [Reply(texts.CLARIFY, buttons)], state)
        # a lone actionable candidate (the runner-up was small talk): act on it
    if intent.startswith("faq/") or intent in SMALL_TALK:
        return _answer(parse, state, ctx, intent)
    state.fallback_streak = 0
    if intent in FORM_INTENTS:
        return _start_form(FORM_INTENTS[intent], message, state, ctx)
    if intent == "request_human":
        return hand_off(state, ctx, "customer asked for a person")
    if intent == "cancel":
        return Decision(Action.SMALLTALK, [Reply(texts.NOTHING_TO_CANCEL)], state)
    if intent == "affirm":
        return Decision(Action.SMALLTALK, [Reply(texts.AFFIRM_NO_CONTEXT)], state)
    if intent == "deny":
        return Decision(Action.SMALLTALK, [Reply(texts.DENY_NO_CONTEXT)], state)
    return _answer(parse, state, ctx, intent)


def _suggestions(parse: Parse, ctx: Context) -> list[Button]:
    questions = {f"faq/{hit.key}": hit.question for hit in parse.faq_hits}
    buttons: list[Button] = []
    for score in parse.ranking:
        if len(buttons) == ctx.max_suggestions or score.confidence < ctx.suggestion_floor:
            break
        if score.name in NOT_SUGGESTED:
            continue
        title = ctx.titles.get(score.name) or questions.get(score.name)
        if title:
            buttons.append(Button(title, f"/{score.name}"))
    return buttons


def fall_back(parse: Parse, state: ConversationState, ctx: Context) -> Decision:
    """Ask to rephrase; the `escalate_after`-th miss in a row hands off or opens a ticket."""
    state.fallback_streak += 1
    state.last_suggestions = []
    if state.fallback_streak >= ctx.escalate_after:
        state.fallback_streak = 0
        if ctx.operator_available:
            return hand_off(state, ctx, "not understood twice in a row")
        return _start_form(TICKET_FORM, None, state, ctx, preface=texts.ESCALATE_TO_TICKET)
    text = texts.FALLBACK
    if parse.intent.name == "out_of_scope" and parse.understood:
        text = _response(ctx, "out_of_scope") or text
    return Decision(Action.FALLBACK, [Reply(text, texts.FALLBACK_BUTTONS)], state)


def hand_off(state: ConversationState, ctx: Context, reason: str) -> Decision:
    """Join the operator queue, or say nobody is available (the form, if any, is dropped)."""
    state.form = None
    if not ctx.operator_available:
        reply = Reply(texts.HANDOFF_UNAVAILABLE, texts.HANDOFF_UNAVAILABLE_BUTTONS)
        return Decision(Action.HANDOFF, [reply], state, handoff="unavailable")
    state.mode = Mode.WAITING
    state.escalation_reason = reason
    state.waiting_since = ctx.now
    return Decision(Action.HANDOFF, [Reply(texts.HANDOFF_WAITING)], state, handoff="waiting")


def _form_action(form: Form) -> Action:
    return Action(FORM_ACTIONS[form.name])


def _ask(form: Form, state: ConversationState, preface: str = "") -> Reply:
    assert state.form is not None
    slot = form.next_slot(state.form.slots)
    assert slot is not None, "a form with every slot filled is submitted, not asked"
    state.form.requested_slot = slot.name
    text = f"{preface}\n{slot.ask(state.form.slots)}" if preface else slot.ask(state.form.slots)
    return Reply(text, slot.buttons)


def _start_form(
    form: Form,
    message: InboundMessage | None,
    state: ConversationState,
    ctx: Context,
    preface: str = "",
) -> Decision:
    state.form = FormState(form.name)
    if message is not None:
        for entity in extract_entities(message.text):
            if entity.entity in form.prefill and entity.entity not in state.form.slots:
                state.form.slots[entity.entity] = entity.value
    intro = f"{preface}\n{form.start_text}" if preface else form.start_text
    return Decision(_form_action(form), [_ask(form, state, intro)], state)


def _form_turn(
    message: InboundMessage, parse: Parse, state: ConversationState, ctx: Context
) -> Decision:
    assert state.form is not None
    form = FORMS[state.form.name]
    action = _form_action(form)
    if is_cancel(message.text, parse):
        state.form = None
        return Decision(action, [Reply(texts.FORM_CANCELLED)], state)
    slot = form.slot(state.form.requested_slot or form.slots[0].name)
    faq_key = parse.intent.faq_key if parse.understood else None
    asked_a_question = faq_key is not None and not slot.free_text
    answer = slot.read(message.text, parse, message.attachment_ids)
    if asked_a_question and (not answer.valid or slot.name == "name"):
        # a question in the middle of a form: answer it, then ask the slot again
        answered = _answer(parse, state, ctx, parse.intent.name)
        resume = _ask(form, answered.state, texts.FORM_RESUME)
        answered.replies.append(resume)
        return answered
    if not answer.valid:
        if parse.understood and parse.intent.name == "request_human" and not slot.free_text:
            return hand_off(state, ctx, "customer asked for a person during a form")
        state.form.retries += 1
        hint = slot.hint if state.form.retries < 2 else f"{slot.hint} {texts.CANCEL_HINT}"
        return Decision(action, [Reply(hint, slot.buttons)], state)
    state.form.retries = 0
    if slot.name == "confirm":
        if not answer.value:
            state.form = None
            return Decision(action, [Reply(texts.FORM_CANCELLED)], state)
        draft = _draft(form, state, message)
        state.form = None
        return Decision(Action.TICKET_CREATED, [], state, ticket=draft)
    state.form.slots[slot.name] = None if answer.skipped else answer.value
    return Decision(action, [_ask(form, state)], state)


def _draft(form: Form, state: ConversationState, message: InboundMessage) -> TicketDraft:
    assert state.form is not None
    return draft_ticket(form, state.form.slots, state.sender_id, message.channel)


def draft_ticket(form: Form, slots: Mapping, sender_id: str, channel: str) -> TicketDraft:
    """The ticket a completed form asks for (a skipped slot's value is None)."""
    attachments = tuple(slots.get("attachment") or ())
    if form is RETURN_FORM:
        reason = slots.get("reason")
        return TicketDraft(
            type=TicketType.RETURN,
            topic="return",
            sender_id=sender_id,
            channel=channel,
            order_number=slots.get("order_number"),
            reason=reason,
            message=f"درخواست مرجوعی — {REASONS.get(reason, reason)}",
        )
    return TicketDraft(
        type=TicketType.TICKET,
        topic=slots.get("topic") or "other",
        sender_id=sender_id,
        channel=channel,
        name=slots.get("name"),
        email=slots.get("email"),
        phone=slots.get("phone"),
        order_number=slots.get("order_number"),
        message=slots.get("message") or "",
        attachment_ids=attachments,
    )
