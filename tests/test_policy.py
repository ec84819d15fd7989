"""The dialogue policy as plain tables: a parse and a state in, a decision out. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.dialogue.policy import Action, Context, decide
from bot.domain import ConversationState, FormState, InboundMessage, Mode
from bot.entities import extract_entities
from bot.fallback import FallbackRule
from bot.nlu import IntentScore, Parse
from faq_index import Hit

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
RULE = FallbackRule(threshold=0.45, margin=0.12)
RESPONSES = {
    "utter_faq/contact_phone": ["شماره‌ها: ۰۲۱-۹۱۰۰۰۱۰۰ و ۰۲۱-۶۱۹۳۰۰۰"],
    "utter_faq/seller_support": ["پشتیبانی فروشندگان: ۰۲۱-۶۱۹۳۰۶۰۰"],
    "utter_faq/contact_email": ["info@digikala.com"],
    "utter_greet": ["سلام! چطور کمکتان کنم؟"],
    "utter_out_of_scope": ["این سؤال از حوزهٔ کار من خارج است."],
}
TITLES = {
    "faq/contact_phone": "شماره تلفن پشتیبانی",
    "faq/seller_support": "پشتیبانی فروشندگان",
    "faq/contact_email": "ایمیل پشتیبانی",
}


def parse(text: str, *ranking: tuple[str, float], hits: list[Hit] | None = None) -> Parse:
    scores = [IntentScore(n, c) for n, c in ranking]
    verdict = RULE.judge(list(ranking))
    return Parse(text, text, scores, extract_entities(text), verdict, hits or [], RESPONSES)


def ctx(operator: bool = False, note=None) -> Context:
    extra = {"faq_note": note} if note else {}
    return Context(NOW, operator, RESPONSES, TITLES, **extra)


def turn(
    text: str,
    *ranking: tuple[str, float],
    state: ConversationState | None = None,
    operator: bool = False,
    attachments: tuple[str, ...] = (),
):
    message = InboundMessage("u1", text, attachment_ids=attachments)
    return decide(message, parse(text, *ranking), state or ConversationState("u1"), ctx(operator))


@pytest.mark.parametrize(
    ("ranking", "action", "first_words"),
    [
        (
            [("faq/contact_phone", 0.9), ("faq/seller_support", 0.05)],
            Action.ANSWER,
            "شماره‌ها",
        ),  # confident FAQ
        ([("greet", 0.8), ("thanks", 0.1)], Action.SMALLTALK, "سلام"),  # small talk
        (
            [("faq/contact_phone", 0.5), ("faq/seller_support", 0.45)],
            Action.CLARIFY,
            "منظورتان",
        ),  # close top two
        (
            [("faq/contact_phone", 0.3), ("greet", 0.2)],
            Action.FALLBACK,
            "متأسفم",
        ),  # below threshold
        (
            [("out_of_scope", 0.9), ("greet", 0.05)],
            Action.FALLBACK,
            "این سؤال",
        ),  # understood as out of scope
        ([], Action.FALLBACK, "متأسفم"),  # empty message: nothing to rank
    ],
)
def test_threshold_bands(ranking, action: Action, first_words: str) -> None:
    decision = turn("x", *ranking)
    assert decision.action is action
    assert decision.replies[0].text.startswith(first_words)


def test_clarify_offers_payload_buttons_that_select_the_key() -> None:
    decision = turn(
        "شماره",
        ("faq/contact_phone", 0.5),
        ("faq/seller_support", 0.45),
        ("faq/contact_email", 0.3),
        ("greet", 0.2),
    )
    payloads = [b.payload for b in decision.replies[0].buttons]
    assert payloads[:3] == ["/faq/contact_phone", "/faq/seller_support", "/faq/contact_email"]
    assert decision.replies[0].buttons[0].title == "شماره تلفن پشتیبانی"
    assert decision.state.last_suggestions == [
        "faq/contact_phone",
        "faq/seller_support",
        "faq/contact_email",
    ]


def test_ambiguous_with_small_talk_runner_up_answers_the_question() -> None:
    decision = turn("سلام شماره", ("faq/contact_phone", 0.5), ("greet", 0.45))
    assert decision.action is Action.ANSWER


def test_answer_carries_the_time_note() -> None:
    message = InboundMessage("u1", "x")
    decision = decide(
        message,
        parse("x", ("faq/contact_phone", 0.9)),
        ConversationState("u1"),
        ctx(note=lambda key, now: f"note for {key}"),
    )
    assert decision.replies[0].text.endswith("note for contact_phone")
    assert decision.faq_key == "contact_phone"


def test_fallback_offers_ticket_and_operator_then_escalates() -> None:
    first = turn("؟؟", ("greet", 0.2))
    assert [b.payload for b in first.replies[0].buttons] == ["/create_ticket", "/request_human"]
    assert first.state.fallback_streak == 1
    to_operator = turn("؟؟", ("greet", 0.2), state=first.state, operator=True)
    assert to_operator.action is Action.HANDOFF and to_operator.handoff == "waiting"
    assert to_operator.state.mode is Mode.WAITING
    to_ticket = turn("؟؟", ("greet", 0.2), state=first.state, operator=False)
    assert to_ticket.action is Action.TICKET_FORM
    assert to_ticket.state.form is not None and to_ticket.state.form.requested_slot == "topic"


def test_an_answer_resets_the_fallback_streak() -> None:
    first = turn("؟؟", ("greet", 0.2))
    answered = turn("x", ("faq/contact_phone", 0.9), state=first.state)
    assert answered.state.fallback_streak == 0


@pytest.mark.parametrize(
    ("operator", "handoff", "mode"),
    [(True, "waiting", Mode.WAITING), (False, "unavailable", Mode.BOT)],
)
def test_request_human(operator: bool, handoff: str, mode: Mode) -> None:
    decision = turn("با آدم حرف بزنم", ("request_human", 0.9), operator=operator)
    assert decision.action is Action.HANDOFF and decision.handoff == handoff
    assert decision.state.mode is mode
    if not operator:
        assert [b.payload for b in decision.replies[0].buttons] == ["/create_ticket"]


def test_bot_is_silent_while_an_operator_holds_the_conversation() -> None:
    state = ConversationState("u1", mode=Mode.OPERATOR, operator="op1")
    decision = turn("سلام", ("greet", 0.9), state=state)
    assert decision.replies == [] and decision.relay and decision.handoff == "with_operator"


def test_waiting_customer_can_leave_the_queue() -> None:
    state = ConversationState("u1", mode=Mode.WAITING)
    still = turn("کسی نیست؟", ("greet", 0.3), state=state)
    assert still.handoff == "waiting" and still.relay
    left = turn("انصراف", ("cancel", 0.9), state=state)
    assert left.state.mode is Mode.BOT and left.handoff == "left"


def walk(
    steps: list[tuple[str, tuple]],
    state: ConversationState | None = None,
    attachments: dict[int, tuple[str, ...]] | None = None,
):
    decisions = []
    for i, (text, ranking) in enumerate(steps):
        files = (attachments or {}).get(i, ())
        decision = turn(text, *ranking, state=state, attachments=files)
        decisions.append(decision)
        state = decision.state
    return decisions


LOW = (("greet", 0.1),)


def test_ticket_form_happy_path() -> None:
    decisions = walk(
        [
            ("میخوام تیکت بزنم", (("create_ticket", 0.9),)),
            ('/inform{"topic": "order"}', (("inform", 1.0),)),
            ("مریم احمدی", LOW),
            ("maryam@example.com", LOW),
            ("۰۹۱۲ ۱۲۳ ۴۵۶۷", LOW),
            ("ندارم", LOW),
            ("سفارشم هنوز نرسیده و خیلی نگرانم", LOW),
            ("/skip", (("skip", 1.0),)),
            ("/affirm", (("affirm", 1.0),)),
        ]
    )
    requested = [d.state.form.requested_slot if d.state.form else None for d in decisions]
    assert requested == [
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
    assert "مریم احمدی" in decisions[-2].replies[0].text  # the summary shows the answers
    final = decisions[-1]
    assert final.action is Action.TICKET_CREATED
    draft = final.ticket
    assert draft is not None
    assert (draft.topic, draft.name, draft.email, draft.phone, draft.order_number) == (
        "order",
        "مریم احمدی",
        "maryam@example.com",
        "09121234567",
        None,
    )
    assert draft.message == "سفارشم هنوز نرسیده و خیلی نگرانم"


def test_ticket_form_prefills_from_the_first_message_and_takes_attachments() -> None:
    decisions = walk(
        [
            (
                "میخوام برای سفارش ۱۲۳۴۵۶۷ تیکت بزنم، ایمیلم a@example.com",
                (("create_ticket", 0.9),),
            ),
            ("حساب کاربری", LOW),
            ("Ali Rezaei", LOW),
            ("09121234567", LOW),
            ("رمزم کار نمیکنه", LOW),
            ("", LOW),
        ],
        attachments={5: ("att1",)},
    )
    assert decisions[0].state.form.slots["order_number"] == "1234567"
    assert decisions[1].state.form.slots["topic"] == "account"
    assert decisions[3].state.form.requested_slot == "message"  # email and order were given
    assert decisions[5].state.form.slots["attachment"] == ["att1"]
    assert decisions[5].state.form.requested_slot == "confirm"


@pytest.mark.parametrize(
    ("slot_steps", "bad", "hint_word"),
    [
        (3, "ali@", "ایمیل معتبر نیست"),  # invalid email re-asked
        (4, "12345", "شماره معتبر نیست"),  # invalid phone re-asked
        (2, "علی ۱۲۳", "فقط از حروف"),  # a name with digits
        (1, "نمیدونم والا", "موضوع"),  # no topic in the answer
    ],
)
def test_invalid_answers_are_re_asked_with_a_persian_hint(
    slot_steps: int, bad: str, hint_word: str
) -> None:
    steps = [
        ("تیکت", (("create_ticket", 0.9),)),
        ("سفارش", LOW),
        ("مریم", LOW),
        ("m@example.com", LOW),
    ][:slot_steps]
    decisions = walk([*steps, (bad, LOW)])
    before, after = decisions[-2], decisions[-1]
    assert after.state.form.requested_slot == before.state.form.requested_slot
    assert hint_word in after.replies[0].text
    again = walk([(bad, LOW)], state=after.state)[0]
    assert "انصراف" in again.replies[0].text  # the second miss says how to get out


@pytest.mark.parametrize("word", ["انصراف", "لغو", "/cancel"])
def test_cancel_at_any_point(word: str) -> None:
    decisions = walk(
        [
            ("تیکت", (("create_ticket", 0.9),)),
            ("سفارش", LOW),
            (word, (("cancel", 1.0 if word.startswith("/") else 0.2),)),
        ]
    )
    assert decisions[-1].state.form is None
    assert decisions[-1].replies[0].text.startswith("باشه، لغو شد")


def test_question_mid_form_is_answered_and_the_form_resumes() -> None:
    decisions = walk(
        [
            ("تیکت", (("create_ticket", 0.9),)),
            ("سفارش", LOW),
            ("مریم", LOW),
            ("شماره تلفن پشتیبانی چنده؟", (("faq/contact_phone", 0.9),)),
        ]
    )
    last = decisions[-1]
    assert last.action is Action.ANSWER
    assert last.replies[0].text.startswith("شماره‌ها")
    assert last.state.form.requested_slot == "email"
    assert "ایمیلتان" in last.replies[1].text


def test_return_form_with_the_order_number_in_the_first_message() -> None:
    decisions = walk(
        [
            ("میخوام سفارش ۱۲۳۴۵۶۷ رو پس بدم", (("return_request", 0.9),)),
            ("کالا خراب بود", LOW),
            ("بله", (("affirm", 0.9),)),
        ]
    )
    assert decisions[0].action is Action.RETURN_FORM
    assert decisions[0].state.form.requested_slot == "reason"  # order number already known
    assert decisions[1].state.form.slots["reason"] == "defective"
    draft = decisions[2].ticket
    assert draft is not None and draft.type == "return"
    assert (draft.order_number, draft.reason) == ("1234567", "defective")


def test_denying_the_confirmation_creates_nothing() -> None:
    decisions = walk(
        [
            ("پس بدم ۱۲۳۴۵۶۷", (("return_request", 0.9),)),
            ('/inform{"reason": "wrong_item"}', (("inform", 1.0),)),
            ("/deny", (("deny", 1.0),)),
        ]
    )
    assert decisions[-1].ticket is None and decisions[-1].state.form is None


def test_decide_does_not_change_the_state_it_was_given() -> None:
    state = ConversationState("u1", form=FormState("ticket_form", {}, "topic"))
    turn("سفارش", *LOW, state=state)
    assert state.form is not None and state.form.slots == {}
