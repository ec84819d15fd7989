"""One-word and greeting-plus-word messages, as customers type them in chat.

A topic word gets that topic's answer (or a question offering that topic), even after a
greeting; a word that points at no single topic the knowledge base covers gets the
fallback (or a question offering the topics it might mean), never a confident answer
about something else. And none of this may break what forms read from one-word answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest

from bot.assistant import build_engine, load_interpreter
from bot.dialogue import texts
from bot.dialogue.policy import Action
from bot.domain import InboundMessage
from bot.engine import Engine, TurnResult
from bot.settings import Settings
from bot.stores import open_stores

# a fact from each answer the table expects, as in test_api_chat
FACTS = {
    "faq/ticket_howto": "ثبت و ارسال",
    "faq/return_howto": "داخلی ۱",
    "faq/order_tracking": "جزئیات سفارش",
    "faq/contact_phone": "۰۲۱-۹۱۰۰۰۱۰۰",
    "faq/contact_email": "info@digikala.com",
    "faq/online_chat": "هدفون",
    "faq/discount_code": "تخفیف",
}
FORM_OF = {"create_ticket": Action.TICKET_FORM, "return_request": Action.RETURN_FORM}

TICKET = {"faq/ticket_howto", "create_ticket"}
RETURN = {"faq/return_howto", "return_request"}
ORDER = {"faq/order_tracking"}

# (message, the topics it names): the bot answers one of them (a form counts for the
# two that have one) or asks which one is meant, offering nothing else
TOPIC_WORDS = [
    ("تیکت", TICKET),
    ("مرجوعی", RETURN),
    ("سفارش", ORDER),
    ("ایمیل", {"faq/contact_email"}),
    ("تخفیف", {"faq/discount_code"}),
    ("تيكت", TICKET),  # Arabic ي and ك
    ("مرجوعي", RETURN),  # Arabic ي
    ("ticket", TICKET),  # Finglish
    ("tiket", TICKET),  # Finglish, phonetic spelling
    ("marjooei", RETURN),  # Finglish
    ("sefaresh", ORDER),  # Finglish
    ("سلام تیکت", TICKET),  # greeting + word
    ("سلام، تيكت", TICKET),  # greeting + word, Arabic letters
    ("سلام وقت بخیر تیکت", TICKET),  # longer greeting
    ("درود تیکت", TICKET),
    ("salam tiket", TICKET),  # Finglish greeting + word
    ("hi ticket", TICKET),  # English greeting
    ("سلام وقت بخیر مرجوعی", RETURN),
    ("سلام مرجوعی", RETURN),
    ("salam marjooei", RETURN),
    ("سلام سفارش", ORDER),
    ("salam sefaresh", ORDER),
    ("درود شماره پشتیبانی", {"faq/contact_phone"}),
    ("سلام، شماره", {"faq/contact_phone"}),
    ("سلام ایمیل", {"faq/contact_email"}),
    ("صبح بخیر، چت آنلاین", {"faq/online_chat"}),
    ("سلام شکایت", {"create_ticket"}),
]

# (message, the topics it might mean): the bot falls back, or asks among these
VAGUE_WORDS = [
    ("ارسال", {"faq/order_tracking", "faq/ticket_howto"}),  # shipping? sending a ticket?
    ("کالا", {"faq/return_howto", "faq/after_sales", "faq/order_tracking"}),  # "item"
    ("كالا", {"faq/return_howto", "faq/after_sales", "faq/order_tracking"}),  # Arabic ك
    ("خرید", {"faq/discount_code", "faq/after_sales", "faq/return_howto"}),  # "purchase"
    ("ersal", {"faq/order_tracking", "faq/ticket_howto"}),  # Finglish
    ("kala", {"faq/return_howto", "faq/after_sales", "faq/order_tracking"}),  # Finglish
]


@pytest.fixture(scope="module")
def engine(model_dir, tmp_path_factory) -> Iterator[Engine]:
    settings = Settings(model_dir=model_dir, var_dir=tmp_path_factory.mktemp("var"))
    loaded = load_interpreter(settings, retrain_if_stale=False)
    with open_stores("memory://", settings.var_dir) as stores:
        yield build_engine(settings, loaded, stores)


_senders = count()


def chat(engine: Engine, *messages: str) -> list[TurnResult]:
    """One new customer's conversation."""
    sender = f"kw{next(_senders)}"
    return [engine.handle(InboundMessage(sender, text)) for text in messages]


def offered(turn: TurnResult) -> set[str]:
    """The topics a clarifying question offers (without «none of these»)."""
    payloads = {b.payload for b in turn.replies[0].buttons}
    return {p.removeprefix("/") for p in payloads - {texts.CLARIFY_NONE_OF_THESE.payload}}


@pytest.mark.parametrize(("text", "topics"), TOPIC_WORDS)
def test_a_topic_word_gets_its_topic(engine: Engine, text: str, topics: set[str]) -> None:
    (turn,) = chat(engine, text)
    reply = turn.replies[0].text
    if turn.action is Action.CLARIFY:
        assert len(offered(turn)) >= 2 and offered(turn) <= topics, offered(turn)
    elif turn.action is Action.ANSWER:
        intent = turn.parse.intent.name
        assert intent in topics, (turn.action, turn.parse.ranking[:3])
        assert FACTS.get(intent, "") in reply
    else:
        forms = {FORM_OF[t] for t in topics if t in FORM_OF}
        assert turn.action in forms, (turn.action, turn.parse.ranking[:3])


@pytest.mark.parametrize(("text", "meanings"), VAGUE_WORDS)
def test_a_word_no_topic_owns_is_not_answered(
    engine: Engine, text: str, meanings: set[str]
) -> None:
    (turn,) = chat(engine, text)
    if turn.action is Action.CLARIFY:
        assert len(offered(turn)) >= 2 and offered(turn) <= meanings, offered(turn)
    else:
        assert turn.action is Action.FALLBACK, (turn.action, turn.parse.ranking[:3])
        assert turn.replies[0].text == texts.FALLBACK
        assert turn.replies[0].buttons == texts.FALLBACK_BUTTONS


def test_a_greeting_alone_is_still_greeted(engine: Engine) -> None:
    for text in ("سلام", "سلام وقت بخیر", "درود", "salam"):
        (turn,) = chat(engine, text)
        assert turn.action is Action.SMALLTALK and "پاسخگو" in turn.replies[0].text, text


def test_one_word_answers_in_the_ticket_form_fill_their_slots(engine: Engine) -> None:
    turns = chat(
        engine,
        "میخوام تیکت بزنم",
        "ارسال",  # topic: a word of the «order» topic, not a question
        "مریم",  # a one-word name
        "maryam@example.com",
        "09121234567",
        "ندارم",  # no order number
        "کالا دیر رسیده و پیک جواب نمیده",
        "/skip",
        "درست",  # a one-word «yes» at the confirmation
    )
    slots = [t.state.form.requested_slot if t.state.form else None for t in turns]
    assert slots == [
        "topic",
        "name",
        "email",
        "phone",
        "order_number",
        "message",
        "attachment",
        "confirm",
        None,
    ]
    assert turns[-1].action is Action.TICKET_CREATED
    ticket = turns[-1].ticket
    assert ticket is not None and ticket.tracking_code in turns[-1].replies[0].text
    assert (ticket.topic, ticket.name, ticket.order_number) == ("order", "مریم", None)


def test_a_bare_order_number_in_the_return_form_is_read(engine: Engine) -> None:
    first, number = chat(engine, "میخوام کالامو مرجوع کنم", "۱۲۳۴۵۶۷")
    assert first.action is Action.RETURN_FORM
    assert number.state.form is not None and number.state.form.requested_slot == "reason"
    assert number.state.form.slots["order_number"] == "1234567"


def test_button_payloads_still_select_their_intent(engine: Engine) -> None:
    (answer,) = chat(engine, "/faq/ticket_howto")
    assert answer.action is Action.ANSWER and FACTS["faq/ticket_howto"] in answer.replies[0].text
    (form,) = chat(engine, "/create_ticket")
    assert form.action is Action.TICKET_FORM
