"""A channel that owns its conversations keeps them: the customer-facing web API refuses
sender ids with a channel's reserved prefix (`telegram:<chat id>`, a guessable number),
so nobody reads a Telegram customer's transcript, follows it live or writes into it."""

from __future__ import annotations

import pytest
from apihelpers import assert_error
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.schemas import RESERVED_SENDER_PREFIXES
from api.telegram.channel import sender_id as telegram_sender
from bot.domain import InboundMessage

CHAT = 42
TELEGRAM = telegram_sender(CHAT)
EMAIL = "maryam.private@example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def telegram_customer_says(client: TestClient, text: str) -> None:
    """What the Telegram channel does with a customer's message: the engine, directly."""
    engine = client.app.state.services.engine
    engine.handle(InboundMessage(TELEGRAM, text, "telegram"))


@pytest.fixture
def with_telegram_customer(client: TestClient) -> TestClient:
    for text in ["میخوام تیکت ثبت کنم", '/inform{"topic": "order"}', "مریم احمدی", EMAIL]:
        telegram_customer_says(client, text)
    transcript = client.app.state.services.stores.conversations.transcript(TELEGRAM, 0, 100)
    assert EMAIL in [line.text for line in transcript]  # the conversation exists
    return client


def test_telegram_senders_are_reserved() -> None:
    assert TELEGRAM.startswith(RESERVED_SENDER_PREFIXES)


def test_a_telegram_transcript_cannot_be_read(with_telegram_customer: TestClient) -> None:
    response = with_telegram_customer.get(f"/v1/chat/{TELEGRAM}/messages")
    error = assert_error(response, 422, "invalid_request")
    assert EMAIL not in response.text
    assert error["details"][0]["field"] == "path.sender_id"


def test_nobody_writes_into_a_telegram_conversation(with_telegram_customer: TestClient) -> None:
    client = with_telegram_customer
    chat = client.post("/v1/chat", json={"sender_id": TELEGRAM, "text": "لغو"})
    error = assert_error(chat, 422, "invalid_request")
    assert error["details"][0]["field"] == "body.sender_id"
    rasa_rest = client.post("/webhooks/rest/webhook", json={"sender": TELEGRAM, "message": "لغو"})
    assert_error(rasa_rest, 422, "invalid_request")
    upload = client.post(f"/v1/chat/{TELEGRAM}/attachments", files={"file": ("a.png", PNG)})
    assert_error(upload, 422, "invalid_request")
    # the Telegram customer's form went on untouched, and no file was stored for them
    state = client.app.state.services.stores.conversations.load(TELEGRAM)
    assert state.form is not None and state.form.requested_slot == "phone"
    assert not any((client.app.state.settings.var_dir / "uploads").rglob("*"))


def test_a_telegram_conversation_cannot_be_followed_live(
    with_telegram_customer: TestClient,
) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        with_telegram_customer.websocket_connect(f"/v1/chat/{TELEGRAM}/ws"),
    ):
        pass  # refused before it is accepted
    assert closed.value.code == 1008


@pytest.mark.parametrize(
    ("sender", "allowed"),
    [
        ("web-3f9c0a1e", True),  # the widget's ids
        ("customer-1", True),
        ("telegram-42", True),  # not the prefix
        ("my-telegram:42", True),  # the prefix only counts at the start
        ("Telegram:42", True),  # ids are case-sensitive: not the Telegram channel's
        ("telegram:42", False),
        ("telegram:", False),
        ("c1\n", False),  # a control character, even as the last one
        ("x" * 129, False),
    ],
)
def test_which_sender_ids_the_web_api_takes(client: TestClient, sender: str, allowed: bool) -> None:
    response = client.post("/v1/chat", json={"sender_id": sender, "text": "سلام"})
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert_error(response, 422, "invalid_request")
