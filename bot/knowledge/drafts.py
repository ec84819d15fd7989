"""Drafts from operators' answers: when an operator answers an escalated conversation,
the customer's question and the answer are offered to the content team as a FAQ draft.

The question is the customer's last message before the answer that asks something — not
a greeting, a thank-you or a request for a person, as the model understands them — with
phone numbers and emails masked. Further answers to the same question are appended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.domain import TranscriptEntry
from bot.engine import Engine
from bot.entities import mask_contacts
from bot.errors import PasokhgooError
from bot.knowledge.records import Suggestion
from bot.knowledge.rules import clean_text

__all__ = ["NOT_QUESTIONS", "offer_draft", "question_before"]

log = logging.getLogger("pasokhgoo.curation")

NOT_QUESTIONS = frozenset(
    {
        "greet",
        "goodbye",
        "thanks",
        "bot_challenge",
        "affirm",
        "deny",
        "cancel",
        "skip",
        "request_human",
    }
)


def question_before(
    transcript: Sequence[TranscriptEntry], reply_id: int, is_question: Callable[[str], bool]
) -> str | None:
    """The customer's last question before the transcript entry `reply_id`."""
    earlier = [e for e in transcript if e.id is not None and e.id < reply_id]
    for entry in reversed(earlier):
        if entry.role == "customer" and is_question(entry.text):
            return entry.text
    return None


def offer_draft(
    engine: Engine, sender_id: str, operator: str, reply: TranscriptEntry
) -> Suggestion | None:
    """Offer the question `reply` answers and the reply as a draft; never raises."""
    interpreter = engine.interpreter

    def is_question(text: str) -> bool:
        parse = interpreter.parse(text)
        small_talk = parse.understood and parse.intent.name in NOT_QUESTIONS
        return bool(parse.normalized) and not small_talk

    try:
        if reply.id is None:
            return None
        transcript = engine.stores.conversations.transcript(sender_id, 0, 10_000)
        question = question_before(transcript, reply.id, is_question)
        if question is None:
            return None
        now = engine.clock()
        draft = Suggestion(
            sender_id, clean_text(mask_contacts(question)), reply.text, operator, now, now
        )
        offered = engine.stores.knowledge.offer(draft)
    except PasokhgooError as exc:  # a draft must never cost the customer the answer
        log.warning("curation.draft_failed code=%s", exc.code)
        return None
    log.info("curation.draft_offered id=%s", offered.id)
    return offered
