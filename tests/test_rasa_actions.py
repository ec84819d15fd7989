"""Rasa's action-server protocol on the API: requests shaped as Rasa 3.6 sends them
(`next_action`, `sender_id`, `tracker` with events), replies as Rasa reads them.

The real Rasa drives the same actions in `.ci/rasa-interop`; here each action is called
directly and checked by what a customer would read and what lands in the database.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from apihelpers import ADMIN, SARA, assert_error

from bot.dialogue import texts
from bot.dialogue.forms import REASONS, TICKET_FORM, TOPICS
from bot.rasa_actions import SKIPPED, action_names
from bot.text import to_persian_digits

TRACKING_CODE = re.compile(r"PG-[0-9A-Z]+")


def slot(name: str, value: Any) -> dict:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def user(text: str, intent: str = "nlu_fallback") -> dict:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return {"event": "user", "timestamp": 1_700_000_000.0, "text": text, "parse_data": parse}


def bot(text: str) -> dict:
    return {"event": "bot", "timestamp": 1_700_000_001.0, "text": text, "data": {}}


def action(name: str) -> dict:
    return {"event": "action", "timestamp": None, "name": name}


def tracker(
    sender: str, *, slots: dict | None = None, latest: dict | None = None, events: list = ()
) -> dict:
    """Rasa's `tracker.current_state(EventVerbosity.ALL)`, with the parts actions read."""
    return {
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": latest or {},
        "events": list(events),
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


def run(client, name: str, state: dict) -> dict:
    body = {
        "next_action": name,
        "sender_id": state["sender_id"],
        "tracker": state,
        "version": "3.6.21",
    }
    response = client.post("/webhook", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {"events", "responses"}
    return result


def answer(form: str, name: str, value: Any, asked: list[dict] = ()) -> dict:
    """The tracker Rasa sends `validate_<form>`: the customer's answer to the requested
    slot, extracted from their message, after the form's own action."""
    slots = {"requested_slot": name, name: value}
    events = [
        slot("requested_slot", name),
        bot("…"),
        *asked,
        user(str(value)),
        action("action_extract_slots"),
        slot(name, value),
        slot("requested_slot", name),
        action(form),
        slot(name, value),
    ]
    return tracker("r1", slots=slots, latest={"text": str(value)}, events=events)


def texts_of(result: dict) -> list[str]:
    return [r["text"] for r in result["responses"]]


def faq_question(client, knowledge_base) -> tuple[str, str, dict]:
    """A knowledge-base question Pasokhgoo answers from its FAQ, and its parse."""
    for key in knowledge_base.faq_keys:
        for example in knowledge_base.examples_by_intent()[f"faq/{key}"][:10]:
            parse = client.post("/model/parse", json={"text": example.text}).json()
            if parse["intent"].get("full_retrieval_intent_name") == f"faq/{key}":
                return example.text, key, parse
    pytest.fail("no FAQ question of the knowledge base is understood")


def test_the_actions_it_serves_are_listed_as_the_rasa_sdk_does(client) -> None:
    listed = client.get("/actions").json()
    assert listed == [{"name": name} for name in action_names()]
    assert {"action_answer_faq", "action_handoff", "validate_ticket_form"} <= set(action_names())


def test_a_faq_is_answered_from_the_parse_rasa_received(client, knowledge_base) -> None:
    _, key, parse = faq_question(client, knowledge_base)

    result = run(client, "action_answer_faq", tracker("r1", latest=parse))

    assert result["events"] == []
    assert texts_of(result)[0].startswith(knowledge_base.responses[f"utter_faq/{key}"][0])


def test_a_faq_is_answered_when_rasa_parsed_it_itself(client, knowledge_base) -> None:
    # Rasa with its own NLU: the retrieval intent without Pasokhgoo's selector
    question, key, _ = faq_question(client, knowledge_base)
    latest = {"text": question, "intent": {"name": "faq", "confidence": 0.8}}

    result = run(client, "action_answer_faq", tracker("r1", latest=latest))

    assert texts_of(result)[0].startswith(knowledge_base.responses[f"utter_faq/{key}"][0])


def test_an_invalid_email_is_asked_again_with_the_hint(client) -> None:
    hint = TICKET_FORM.slot("email").hint

    first = run(client, "validate_ticket_form", answer("ticket_form", "email", "ali@@example"))
    assert first["events"] == [slot("email", None)]
    assert first["responses"] == [{"text": hint, "buttons": []}]

    # the second miss in a row also says how to leave the form
    again = answer("ticket_form", "email", "ali@@", asked=[user("ali@@example")])
    second = run(client, "validate_ticket_form", again)
    assert texts_of(second) == [f"{hint} {texts.CANCEL_HINT}"]


def test_a_valid_answer_is_kept_as_the_form_reads_it(client) -> None:
    result = run(
        client, "validate_ticket_form", answer("ticket_form", "email", "Sara.M@Example.com")
    )
    assert result == {"events": [slot("email", "sara.m@example.com")], "responses": []}

    skipped = run(client, "validate_ticket_form", answer("ticket_form", "order_number", "/skip"))
    assert skipped["events"] == [slot("order_number", SKIPPED)]

    chosen = run(client, "validate_return_form", answer("return_form", "reason", "کالا خراب است"))
    assert chosen["events"] == [slot("reason", "defective")]


def test_an_order_number_in_the_opening_message_is_validated_at_activation(client) -> None:
    # Rasa's activation: the prefilled slot after the form's action, nothing asked yet
    events = [
        user("مرجوعی ۱۲۳۴۵۶۷", "return_request"),
        slot("order_number", "1234567"),
        slot("requested_slot", None),
        action("return_form"),
        slot("order_number", "1234567"),
    ]
    state = tracker("r1", slots={"order_number": "1234567"}, events=events)

    result = run(client, "validate_return_form", state)

    assert result == {"events": [slot("order_number", "1234567")], "responses": []}


def test_a_question_during_a_form_is_answered_then_the_form_goes_on(client, knowledge_base) -> None:
    question, key, _ = faq_question(client, knowledge_base)

    result = run(client, "validate_ticket_form", answer("ticket_form", "email", question))

    assert result["events"] == [slot("email", None)]
    fact, resume = texts_of(result)
    assert fact.startswith(knowledge_base.responses[f"utter_faq/{key}"][0])
    assert resume == f"{texts.FORM_RESUME}\n{TICKET_FORM.slot('email').ask({})}"


def test_forms_ask_with_the_native_prompts(client) -> None:
    topic = TICKET_FORM.slot("topic")
    opening = run(client, "action_ask_ticket_form_topic", tracker("r1"))
    assert opening["responses"] == [
        {
            "text": f"{TICKET_FORM.start_text}\n{topic.ask({})}",
            "buttons": [{"title": b.title, "payload": b.payload} for b in topic.buttons],
        }
    ]

    next_slot = run(
        client, "action_ask_ticket_form_email", tracker("r1", slots={"requested_slot": "name"})
    )
    assert texts_of(next_slot) == [TICKET_FORM.slot("email").ask({})]

    # asked again after the validator sent its hint: nothing more to say
    state = answer("ticket_form", "email", "ali@@example") | {}
    state["events"] = [*state["events"], slot("email", None), bot("hint")]
    assert run(client, "action_ask_ticket_form_email", state)["responses"] == []


def test_the_confirmation_summarises_the_return(client) -> None:
    slots = {"requested_slot": "reason", "order_number": "1234567", "reason": "defective"}
    result = run(client, "action_ask_return_form_confirm", tracker("r1", slots=slots))
    assert "1234567" in texts_of(result)[0] and REASONS["defective"] in texts_of(result)[0]
    assert [b["payload"] for b in result["responses"][0]["buttons"]] == ["/affirm", "/deny"]


def test_a_confirmed_ticket_is_stored(client) -> None:
    slots = {
        "topic": "payment",
        "name": "مریم احمدی",
        "email": "maryam@example.com",
        "phone": "09121234567",
        "order_number": SKIPPED,
        "message": "پولم کم شده ولی سفارش ثبت نشده",
        "attachment": SKIPPED,
        "confirm": True,
    }

    result = run(client, "action_submit_ticket_form", tracker("r9", slots=slots))

    code = TRACKING_CODE.search(texts_of(result)[0]).group()
    assert texts_of(result) == [texts.TICKET_CREATED.format(code=code)]
    # the form's slots are cleared for the next form
    assert {e["name"] for e in result["events"]} >= {s.name for s in TICKET_FORM.slots}
    assert all(e["value"] is None for e in result["events"])
    ticket = client.get(f"/v1/staff/tickets/{code}", headers=ADMIN).json()
    assert ticket["type"] == "ticket" and ticket["channel"] == "rasa"
    assert (ticket["topic"], ticket["email"], ticket["order_number"]) == (
        "payment",
        "maryam@example.com",
        None,
    )
    assert ticket["sender_id"] == "r9" and TOPICS[ticket["topic"]]


def test_a_confirmed_return_is_stored(client) -> None:
    slots = {"order_number": "7654321", "reason": "wrong_item", "confirm": True}

    result = run(client, "action_submit_return_form", tracker("r9", slots=slots))

    reply = texts_of(result)[0]
    assert to_persian_digits("7654321") in reply
    code = TRACKING_CODE.search(reply).group()
    ticket = client.get(f"/v1/staff/tickets/{code}", headers=ADMIN).json()
    assert (ticket["type"], ticket["order_number"], ticket["reason"]) == (
        "return",
        "7654321",
        "wrong_item",
    )


def test_cancelling_a_form_ends_it_without_a_ticket(client) -> None:
    ended = run(client, "validate_return_form", answer("return_form", "reason", "انصراف"))
    assert ended["events"] == [slot("confirm", False), slot("requested_slot", None)]

    slots = {"order_number": "7654321", "confirm": False}
    result = run(client, "action_submit_return_form", tracker("r1", slots=slots))

    assert texts_of(result) == [texts.FORM_CANCELLED]
    assert client.get("/v1/staff/tickets", headers=ADMIN).json()["tickets"] == []


def test_handoff_pauses_rasa_and_queues_the_conversation(client) -> None:
    client.post("/v1/operator/presence", headers=SARA)
    events = [user("سلام", "greet"), bot("سلام! بفرمایید"), user("با یک آدم کار دارم")]

    result = run(client, "action_handoff", tracker("r5", events=events))

    assert texts_of(result) == [texts.HANDOFF_WAITING]
    assert {"event": "pause", "timestamp": None} in result["events"]
    queue = client.get("/v1/operator/queue", headers=SARA).json()["conversations"]
    assert [(c["sender_id"], c["status"], c["channel"]) for c in queue] == [
        ("r5", "waiting", "rasa")
    ]
    assert [line["text"] for line in queue[0]["transcript"]] == [
        "سلام",
        "سلام! بفرمایید",
        "با یک آدم کار دارم",
        texts.HANDOFF_WAITING,
    ]


def test_handoff_with_nobody_online_offers_a_ticket_and_keeps_rasa_talking(client) -> None:
    result = run(client, "action_handoff", tracker("r6", events=[user("اپراتور")]))

    assert texts_of(result) == [texts.HANDOFF_UNAVAILABLE]
    assert [b["payload"] for b in result["responses"][0]["buttons"]] == ["/create_ticket"]
    assert all(e["event"] != "pause" for e in result["events"])
    assert client.get("/v1/operator/queue", headers=SARA).json()["conversations"] == []


def test_the_second_miss_in_a_row_opens_the_ticket_form(client) -> None:
    first = run(client, "action_fallback", tracker("r7", events=[user("zxqv blorf")]))
    assert first["events"] == []
    assert [b["payload"] for b in first["responses"][0]["buttons"]] == [
        "/create_ticket",
        "/request_human",
    ]

    events = [user("zxqv blorf"), action("action_fallback"), bot("…"), user("wugga trelp")]
    second = run(client, "action_fallback", tracker("r7", events=events))

    # nobody is online: the ticket form opens, its first question already asked
    assert texts_of(second)[0].startswith(texts.ESCALATE_TO_TICKET)
    assert second["events"] == [
        {"event": "active_loop", "timestamp": None, "name": "ticket_form"},
        slot("requested_slot", "topic"),
    ]


def test_an_unknown_action_is_404_with_rasas_error_body(client) -> None:
    response = client.post("/webhook", json={"next_action": "action_nope", "tracker": {}})
    assert response.status_code == 404
    assert response.json() == {
        "error": "No registered action found for name 'action_nope'.",
        "action_name": "action_nope",
    }


def test_a_body_that_is_not_an_action_call_is_refused(client) -> None:
    assert_error(client.post("/webhook", json={"tracker": {}}), 422, "invalid_request")


def test_a_long_conversation_fits_in_one_action_call(client) -> None:
    # Rasa sends every event with every call; each message's parse is a few kilobytes
    long_parse = {"text": "س" * 2000, "intent": {"name": "greet", "confidence": 1.0}}
    events = [user("سلام", "greet") | {"parse_data": long_parse} for _ in range(100)]
    result = run(client, "action_answer_faq", tracker("r8", events=events))
    assert result["responses"]


def test_a_message_not_understood_reaches_rasa_as_nlu_fallback(serve, knowledge_base) -> None:
    with serve(nlu_threshold=1.0) as client:  # nothing is confident enough
        question = knowledge_base.examples_by_intent()["greet"][0].text
        parse = client.post("/model/parse", json={"text": question}).json()
    assert parse["intent"]["name"] == "nlu_fallback"
    assert parse["intent_ranking"][0]["name"] == "nlu_fallback"
    assert len(parse["intent_ranking"]) > 1  # the classifier's guesses follow


# --- the action token (PASOKHGOO_ACTION_TOKEN) ------------------------------------------

ACTION_TOKEN = "rasa-action-secret"
CONFIRMED_TICKET = {
    "topic": "order",
    "name": "مریم احمدی",
    "email": "maryam@example.com",
    "phone": "09121234567",
    "order_number": SKIPPED,
    "message": "سفارشم نرسیده",
    "attachment": SKIPPED,
    "confirm": True,
}


def call(client, name: str, state: dict, **request: Any):
    body = {"next_action": name, "sender_id": state["sender_id"], "tracker": state}
    return client.post("/webhook", json=body, **request)


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"params": {"token": ""}}, 401, "unauthorized"),
        ({"params": {"token": "rasa-action-secreT"}}, 403, "forbidden"),
        ({"params": {"token": "admin-secret"}}, 403, "forbidden"),  # staff tokens are not it
        ({"headers": {"Authorization": f"Bearer {ACTION_TOKEN}"}}, 401, "unauthorized"),
    ],
)
def test_with_a_token_set_a_call_without_it_changes_nothing(
    serve, request_kwargs: dict, status: int, code: str
) -> None:
    with serve(action_token=ACTION_TOKEN) as client:
        client.post("/v1/operator/presence", headers=SARA)
        submit = tracker("r10", slots=CONFIRMED_TICKET)
        assert_error(
            call(client, "action_submit_ticket_form", submit, **request_kwargs), status, code
        )
        handoff = tracker("r11", events=[user("اپراتور")])
        assert_error(call(client, "action_handoff", handoff, **request_kwargs), status, code)
        assert_error(client.get("/actions", **request_kwargs), status, code)

        assert client.get("/v1/staff/tickets", headers=ADMIN).json()["tickets"] == []
        assert client.get("/v1/operator/queue", headers=SARA).json()["conversations"] == []


def test_with_a_token_set_rasas_calls_with_it_run(serve) -> None:
    with serve(action_token=ACTION_TOKEN) as client:
        given = {"params": {"token": ACTION_TOKEN}}
        stored = call(
            client, "action_submit_ticket_form", tracker("r12", slots=CONFIRMED_TICKET), **given
        )
        assert stored.status_code == 200, stored.text
        code = TRACKING_CODE.search(texts_of(stored.json())[0]).group()
        assert client.get(f"/v1/staff/tickets/{code}", headers=ADMIN).status_code == 200
        listed = client.get("/actions", **given)
        assert [a["name"] for a in listed.json()] == action_names()


def test_an_open_action_server_is_warned_about_once_at_startup(serve, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="pasokhgoo")
    with serve() as client:
        run(client, "action_answer_faq", tracker("r13"))  # no token needed
    warned = [r for r in caplog.records if r.getMessage().startswith("rasa.action_server_open")]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    caplog.clear()
    with serve(action_token=ACTION_TOKEN):
        pass
    assert not [r for r in caplog.records if "action_server_open" in r.getMessage()]


@pytest.mark.parametrize("where", ["body", "tracker"])
def test_rasa_cannot_queue_or_ticket_a_telegram_conversation(client, where: str) -> None:
    client.post("/v1/operator/presence", headers=SARA)
    state = tracker("telegram:42", events=[user("اپراتور")])
    body = {"next_action": "action_handoff", "tracker": state}
    if where == "body":
        body["sender_id"] = "telegram:42"
    assert_error(client.post("/webhook", json=body), 422, "invalid_request")
    submit = tracker("telegram:42", slots=CONFIRMED_TICKET)
    assert_error(call(client, "action_submit_ticket_form", submit), 422, "invalid_request")
    assert client.get("/v1/operator/queue", headers=SARA).json()["conversations"] == []
    assert client.get("/v1/staff/tickets", headers=ADMIN).json()["tickets"] == []
