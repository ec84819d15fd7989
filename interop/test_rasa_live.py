"""Conversations through a real Rasa 3.6 that uses Pasokhgoo as its NLU and action server.

Run by `.ci/rasa-interop`, which starts both servers and sets PASOKHGOO_URL, RASA_URL,
the staff tokens and the action token; not part of the main suite. The customer talks to Rasa's REST
channel; what they read and what lands in Pasokhgoo's database are checked. Sentences
come from the knowledge base at run time, so editing nlu_data/ never breaks this file.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable

import httpx
import pytest

from bot.dialogue import texts
from bot.dialogue.forms import CONFIRM_BUTTONS, REASONS, RETURN_FORM, TICKET_FORM, TOPICS
from bot.settings import PROJECT_ROOT
from bot.text import fold_digits
from bot.training_data import Example, TrainingData, load_training_data

TRACKING_CODE = re.compile(r"PG-[0-9A-Z]+")
AFFIRM = CONFIRM_BUTTONS[0].payload


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run this file through .ci/rasa-interop")
    return value


@pytest.fixture(scope="module")
def rasa() -> httpx.Client:
    with httpx.Client(base_url=_env("RASA_URL"), timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def pasokhgoo() -> httpx.Client:
    with httpx.Client(base_url=_env("PASOKHGOO_URL"), timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {_env('PASOKHGOO_ADMIN_TOKEN')}"}


@pytest.fixture(scope="module")
def operator() -> dict[str, str]:
    tokens = json.loads(_env("PASOKHGOO_OPERATOR_TOKENS"))
    return {"Authorization": f"Bearer {next(iter(tokens.values()))}"}


@pytest.fixture(scope="module")
def knowledge_base() -> TrainingData:
    return load_training_data(PROJECT_ROOT / "nlu_data")


@pytest.fixture
def sender() -> str:
    return f"interop-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def say(rasa: httpx.Client, sender: str) -> Callable[[str], list[dict]]:
    """Send a message as the customer through Rasa's REST channel; Rasa's replies."""

    def send(text: str) -> list[dict]:
        response = rasa.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        assert response.status_code == 200, response.text
        return response.json()

    return send


def _parse(pasokhgoo: httpx.Client, text: str) -> dict:
    response = pasokhgoo.post("/model/parse", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def _example(
    pasokhgoo: httpx.Client,
    data: TrainingData,
    intent: str,
    accept: Callable[[Example, dict], bool] = lambda example, parse: True,
) -> tuple[Example, dict]:
    """A knowledge-base sentence of `intent` that Pasokhgoo understands as that intent."""
    rasa_intent = "faq" if intent.startswith("faq/") else intent
    for example in data.examples_by_intent().get(intent, [])[:40]:
        parse = _parse(pasokhgoo, example.text)
        full = parse["intent"].get("full_retrieval_intent_name", parse["intent"]["name"])
        if parse["intent"]["name"] == rasa_intent and full == intent and accept(example, parse):
            return example, parse
    pytest.fail(f"no example of {intent} in nlu_data is understood as {intent}")


def _ticket(pasokhgoo: httpx.Client, admin: dict, replies: list[dict]) -> dict:
    found = TRACKING_CODE.search(replies[-1]["text"])
    assert found, replies
    response = pasokhgoo.get(f"/v1/staff/tickets/{found.group()}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def _payloads(reply: dict) -> list[str]:
    return [button["payload"] for button in reply.get("buttons", [])]


def test_faq_question_is_answered_with_the_fact(
    say, rasa, pasokhgoo, knowledge_base, sender
) -> None:
    key = knowledge_base.faq_keys[0]
    example, _ = _example(pasokhgoo, knowledge_base, f"faq/{key}")
    fact = knowledge_base.responses[f"utter_faq/{key}"][0]

    replies = say(example.text)

    assert len(replies) == 1 and replies[0]["text"].startswith(fact)
    # Rasa took Pasokhgoo's parse as its own: the retrieval intent and its response key
    tracker = rasa.get(f"/conversations/{sender}/tracker").json()
    intent = tracker["latest_message"]["intent"]
    assert intent["name"] == "faq" and intent["full_retrieval_intent_name"] == f"faq/{key}"
    # and Rasa's own retrieval action (utter_faq) reads the same answer from the selector
    executed = rasa.post(f"/conversations/{sender}/execute", json={"name": "utter_faq"})
    assert executed.status_code == 200, executed.text
    assert [m["text"] for m in executed.json()["messages"]] == [fact]


def test_return_with_the_order_number_in_the_first_message_is_stored(
    say, pasokhgoo, knowledge_base, admin, sender
) -> None:
    def names_its_order(example: Example, parse: dict) -> bool:
        return any(e["entity"] == "order_number" for e in parse["entities"])

    example, parse = _example(pasokhgoo, knowledge_base, "return_request", names_its_order)
    order = fold_digits(
        next(e["value"] for e in parse["entities"] if e["entity"] == "order_number")
    )
    reason_slot = RETURN_FORM.slot("reason")

    opening = say(example.text)
    # the order number was taken from the first message: the form asks only the reason
    assert opening == [
        {
            "recipient_id": sender,
            "text": f"{RETURN_FORM.start_text}\n{reason_slot.ask({})}",
            "buttons": [{"title": b.title, "payload": b.payload} for b in reason_slot.buttons],
        }
    ]
    summary = say(reason_slot.buttons[0].payload)
    assert order in summary[0]["text"] and _payloads(summary[0]) == [
        b.payload for b in CONFIRM_BUTTONS
    ]
    done = say(AFFIRM)

    ticket = _ticket(pasokhgoo, admin, done)
    assert (ticket["type"], ticket["order_number"], ticket["channel"]) == ("return", order, "rasa")
    assert ticket["reason"] == next(iter(REASONS)) and ticket["sender_id"] == sender
    assert ticket["status"] == "open"


def test_ticket_form_asks_again_for_an_invalid_email(say, pasokhgoo, knowledge_base, admin) -> None:
    example, _ = _example(
        pasokhgoo, knowledge_base, "create_ticket", lambda ex, parse: not parse["entities"]
    )
    # an invalid address that is not also a question about email support
    invalid = next(
        (
            text
            for text in ("ali@@example", "maryam(at)example", "ali at example dot com")
            if _parse(pasokhgoo, text)["intent"]["name"] != "faq"
        ),
        None,
    )
    assert invalid is not None, "every invalid address was read as an FAQ question"
    email = TICKET_FORM.slot("email")

    assert TICKET_FORM.start_text in say(example.text)[0]["text"]
    say(TICKET_FORM.slot("topic").buttons[0].payload)
    assert say("مریم احمدی")[0]["text"] == email.ask({})
    reasked = say(invalid)
    assert [r["text"] for r in reasked] == [email.hint]
    assert say("Maryam.Ahmadi@example.com")[0]["text"] == TICKET_FORM.slot("phone").ask({})
    say("09121234567")
    say("/skip")  # no order number
    say("بسته‌ام هنوز نرسیده و می‌خواهم پیگیری شود")
    summary = say("/skip")  # no attachment
    assert "maryam.ahmadi@example.com" in summary[0]["text"]
    done = say(AFFIRM)

    ticket = _ticket(pasokhgoo, admin, done)
    assert ticket["type"] == "ticket" and ticket["channel"] == "rasa"
    assert (ticket["name"], ticket["email"], ticket["order_number"]) == (
        "مریم احمدی",
        "maryam.ahmadi@example.com",
        None,
    )
    assert ticket["topic"] == next(iter(TOPICS))  # the first topic button's


def test_asking_for_a_person_pauses_rasa_and_joins_the_operator_queue(
    say, rasa, pasokhgoo, knowledge_base, operator, sender
) -> None:
    online = pasokhgoo.post("/v1/operator/presence", headers=operator)
    assert online.status_code == 200 and online.json()["available"], online.text
    example, _ = _example(pasokhgoo, knowledge_base, "request_human")

    replies = say(example.text)

    assert [r["text"] for r in replies] == [texts.HANDOFF_WAITING]
    assert rasa.get(f"/conversations/{sender}/tracker").json()["paused"] is True
    assert say("الو؟") == []  # Rasa stays silent: the operator answers from Pasokhgoo
    queue = pasokhgoo.get("/v1/operator/queue", headers=operator).json()["conversations"]
    waiting = next((c for c in queue if c["sender_id"] == sender), None)
    assert waiting is not None, queue
    assert waiting["status"] == "waiting" and waiting["channel"] == "rasa"
    assert example.text in [line["text"] for line in waiting["transcript"]]


def test_the_action_server_takes_only_rasas_calls(say, pasokhgoo, knowledge_base) -> None:
    token = _env("PASOKHGOO_ACTION_TOKEN")
    call = {"next_action": "action_answer_faq", "sender_id": "intruder", "tracker": {}}
    missing = pasokhgoo.post("/webhook", json=call)
    assert missing.status_code == 401, missing.text
    wrong = pasokhgoo.post("/webhook", json=call, params={"token": token + "x"})
    assert wrong.status_code == 403, wrong.text
    # Rasa, which has the token from the exported endpoints.yml, runs the same action
    key = knowledge_base.faq_keys[0]
    example, _ = _example(pasokhgoo, knowledge_base, f"faq/{key}")
    replies = say(example.text)
    assert replies and replies[0]["text"].startswith(
        knowledge_base.responses[f"utter_faq/{key}"][0]
    )


def test_nonsense_gets_the_fallback(say, pasokhgoo, knowledge_base) -> None:
    nonsense = "zxqv blorf wugga trelp"
    assert _parse(pasokhgoo, nonsense)["intent"]["name"] in ("nlu_fallback", "out_of_scope")

    replies = say(nonsense)

    expected = {texts.FALLBACK, *knowledge_base.responses.get("utter_out_of_scope", [])}
    assert len(replies) == 1 and replies[0]["text"] in expected
    assert _payloads(replies[0]) == [b.payload for b in texts.FALLBACK_BUTTONS]
