"""The Telegram channel end to end: the real python-telegram-bot client against a fake Bot
API on loopback (tests/fakebotapi.py), the whole app in front of it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from apihelpers import SARA, assert_error
from fakebotapi import FakeBotApi
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.services import build_services
from api.telegram.channel import TelegramChannel
from api.telegram.polling import poll
from api.telegram.rendering import CALLBACK_LIMIT, CallbackPayloads, split_text, utf16_length
from api.telegram.setup import build_bot, file_base_url
from bot import cli
from bot.dialogue import texts
from bot.domain import Button, Reply
from bot.errors import ConfigError

TOKEN = "123456:test-token"
SECRET = "webhook-secret_1"
CHAT = 4242
SENDER = f"telegram:{CHAT}"
PHONE_FACT = "۰۲۱-۹۱۰۰۰۱۰۰"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- updates as Telegram sends them -------------------------------------------------

_USER = {"id": CHAT, "is_bot": False, "first_name": "مریم"}
_CHAT = {"id": CHAT, "type": "private", "first_name": "مریم"}


def message_update(update_id: int, **content: Any) -> dict[str, Any]:
    message = {"message_id": update_id, "date": int(time.time()), "chat": _CHAT, "from": _USER}
    return {"update_id": update_id, "message": message | content}


def text_update(update_id: int, text: str) -> dict[str, Any]:
    return message_update(update_id, text=text)


def callback_update(update_id: int, data: str) -> dict[str, Any]:
    shown = {"message_id": 1, "date": int(time.time()), "chat": _CHAT, "text": "…"}
    query = {"id": f"cq-{update_id}", "from": _USER, "chat_instance": "ci", "data": data}
    return {"update_id": update_id, "callback_query": query | {"message": shown}}


def photo_update(update_id: int) -> dict[str, Any]:
    sizes = [
        {"file_id": "photo-small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "photo-big", "file_unique_id": "b", "width": 800, "height": 800},
    ]
    return message_update(update_id, photo=sizes)


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi(TOKEN) as api:
        yield api


@pytest.fixture
def telegram(serve, bot_api) -> Callable[..., Any]:
    """`with telegram(**settings) as client:` the app, talking to the fake Bot API."""

    @contextmanager
    def run(**overrides: Any) -> Iterator[TestClient]:
        values = {
            "telegram_token": TOKEN,
            "telegram_webhook_secret": SECRET,
            "telegram_api_base_url": bot_api.base_url,
        }
        with serve(**(values | overrides)) as client:
            yield client

    return run


class Customer:
    """A Telegram customer writing to the bot through the webhook."""

    def __init__(self, client: TestClient, bot_api: FakeBotApi) -> None:
        self.client, self.bot_api = client, bot_api
        self.update_id = 100

    def send(self, update: dict[str, Any], secret: str | None = SECRET):
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram", json=update, headers=headers)

    def _next(self, build: Callable[..., dict[str, Any]], *args: Any) -> list[dict[str, Any]]:
        """Send an update; the messages the bot sent back (handled before post returns)."""
        self.update_id += 1
        before = len(self.bot_api.sent())
        response = self.send(build(self.update_id, *args))
        assert response.status_code == 200, response.text
        return self.bot_api.sent()[before:]

    def says(self, text: str) -> list[dict[str, Any]]:
        return self._next(text_update, text)

    def presses(self, data: str) -> list[dict[str, Any]]:
        return self._next(callback_update, data)

    def sends_photo(self) -> list[dict[str, Any]]:
        return self._next(photo_update)

    def shares_contact(self, phone: str) -> list[dict[str, Any]]:
        contact = {"phone_number": phone, "first_name": "علی", "user_id": CHAT}
        return self._next(lambda uid: message_update(uid, contact=contact))


def callback_data(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def state(client: TestClient):
    return client.app.state.services.stores.conversations.load(SENDER)


# --- the webhook ----------------------------------------------------------------------


def test_faq_question_is_answered_in_the_customers_chat(telegram, bot_api, caplog) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with telegram() as client:
        assert bot_api.called("getMe")  # the token was checked at start
        [sent] = Customer(client, bot_api).says("شماره تلفن پشتیبانی چنده؟")
    assert int(sent["chat_id"]) == CHAT
    assert PHONE_FACT in sent["text"]
    # httpx logs each request's URL, which holds the token: never the token itself
    assert "bot<token>/sendMessage" in caplog.text and TOKEN not in caplog.text


def test_a_rejected_token_stops_the_start_without_showing_the_token(telegram) -> None:
    with pytest.raises(ConfigError) as caught, telegram(telegram_token="999:wrong-token"):
        pass
    assert "rejected" in str(caught.value) and "999:wrong-token" not in str(caught.value)


def test_start_greets(telegram, bot_api) -> None:
    with telegram() as client:
        [sent] = Customer(client, bot_api).says("/start")
    assert "پاسخگو" in sent["text"]


@pytest.mark.parametrize(
    ("secret", "status", "code"),
    [
        (None, 401, "unauthorized"),  # no header at all
        ("webhook-secret_2", 403, "forbidden"),  # same length, one character off
        ("x", 403, "forbidden"),  # another length
    ],
)
def test_a_wrong_or_missing_secret_is_refused(telegram, bot_api, secret, status, code) -> None:
    with telegram() as client:
        response = Customer(client, bot_api).send(text_update(1, "سلام"), secret=secret)
        assert_error(response, status, code)
    assert bot_api.sent() == []


def test_the_webhook_is_off_without_a_secret(telegram, bot_api) -> None:
    with telegram(telegram_webhook_secret=None) as client:
        response = Customer(client, bot_api).send(text_update(1, "سلام"), secret="anything")
        assert_error(response, 404, "telegram_disabled")
    assert bot_api.sent() == []


def test_a_body_that_is_not_an_update_is_refused(telegram, bot_api) -> None:
    with telegram() as client:
        customer = Customer(client, bot_api)
        assert_error(customer.send({"message": {}}), 422, "invalid_request")
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        response = client.post("/webhooks/telegram", content=b"{not json", headers=headers)
        assert_error(response, 400, "malformed_body")


def test_a_resent_update_is_answered_once(telegram, bot_api) -> None:
    with telegram() as client:
        customer = Customer(client, bot_api)
        update = text_update(7, "شماره تلفن پشتیبانی چنده؟")
        assert customer.send(update).status_code == 200
        assert customer.send(update).status_code == 200  # Telegram's retry
    assert len(bot_api.sent()) == 1


def test_form_choices_are_an_inline_keyboard_of_the_payloads(telegram, bot_api) -> None:
    with telegram() as client:
        [sent] = Customer(client, bot_api).says("میخوام تیکت ثبت کنم")
    data = callback_data(sent)
    assert '/inform{"topic": "after_sales"}' in data
    assert len(data) == 7 and all(len(d.encode()) <= CALLBACK_LIMIT for d in data)


@pytest.mark.parametrize(
    "text",
    [
        "asdkjh qwpoi zmxn",  # not understood: ticket and operator buttons
        "میخوام سفارش ۱۲۳۴۵۶۷ رو پس بدم",  # the return form's reasons
    ],
)
def test_telegram_shows_the_engines_replies_and_buttons(telegram, bot_api, text) -> None:
    with telegram() as client:
        body = client.post("/v1/chat", json={"sender_id": "web", "text": text}).json()
        sent = Customer(client, bot_api).says(text)
    assert [m["text"] for m in sent] == [r["text"] for r in body["replies"]]
    assert [callback_data(m) for m in sent] == [
        [b["payload"] for b in r["buttons"]] for r in body["replies"]
    ]
    assert any(callback_data(m) for m in sent)


def test_a_clarify_reply_is_an_inline_keyboard_of_its_suggestions(telegram, bot_api) -> None:
    # whether a question leaves the model in doubt is the model's business
    # (test_api_chat); here, the reply the policy builds then, as Telegram shows it
    suggestions = (
        Button("شماره تلفن پشتیبانی", "/faq/contact_phone"),
        Button("ایمیل پشتیبانی", "/faq/contact_email"),
        texts.CLARIFY_NONE_OF_THESE,
    )
    with telegram() as client:
        channel = client.app.state.telegram
        client.portal.call(channel.send, CHAT, [Reply(texts.CLARIFY, suggestions)])
    [sent] = bot_api.sent()
    assert sent["text"] == texts.CLARIFY
    assert callback_data(sent) == ["/faq/contact_phone", "/faq/contact_email", "/out_of_scope"]
    titles = [row[0]["text"] for row in sent["reply_markup"]["inline_keyboard"]]
    assert titles == [b.title for b in suggestions]


def test_a_pressed_button_is_answered_and_handled_as_its_payload(telegram, bot_api) -> None:
    with telegram() as client:
        customer = Customer(client, bot_api)
        customer.says("میخوام تیکت ثبت کنم")
        [asked] = customer.presses('/inform{"topic": "after_sales"}')
        form = state(client).form
    assert [c["callback_query_id"] for c in bot_api.called("answerCallbackQuery")] == ["cq-102"]
    assert "نام و نام خانوادگی" in asked["text"]
    assert form.slots["topic"] == "after_sales" and form.requested_slot == "name"


def test_a_photo_in_the_attachment_step_is_stored_with_the_ticket(telegram, bot_api) -> None:
    bot_api.files["photo-big"] = PNG
    with telegram() as client:
        customer = Customer(client, bot_api)
        customer.says("میخوام تیکت ثبت کنم")
        customer.presses('/inform{"topic": "after_sales"}')
        customer.says("علی رضایی")
        customer.says("ali@example.com")
        customer.shares_contact("989121234567")  # Telegram's form: no "+", no 0
        customer.presses("/skip")
        [asked] = customer.says("گوشی که خریدم روشن نمیشه")
        assert "عکس یا ویدئو" in asked["text"]
        [summary] = customer.sends_photo()
        assert "۱ فایل" in summary["text"] or "1 فایل" in summary["text"]
        [done] = customer.presses("/affirm")
        ticket = client.app.state.services.stores.tickets.list(None, None, 10, 0)[0]
    assert ticket.tracking_code in done["text"]
    assert ticket.channel == "telegram" and ticket.sender_id == SENDER
    assert ticket.phone == "09121234567"
    assert [(a.kind, a.size) for a in ticket.attachments] == [("photo", len(PNG))]
    # the largest size of the photo was fetched, through getFile and its file URL
    assert [c["file_id"] for c in bot_api.called("getFile")] == ["photo-big"]
    assert [c["file_id"] for c in bot_api.called("download")] == ["photo-big"]


def test_a_file_outside_the_attachment_step_is_not_downloaded(telegram, bot_api) -> None:
    bot_api.files["photo-big"] = PNG
    with telegram() as client:
        [sent] = Customer(client, bot_api).sends_photo()
    assert "هنگام ثبت تیکت" in sent["text"]
    assert bot_api.called("getFile") == []


def test_a_long_reply_is_split_within_telegrams_limit(telegram, bot_api) -> None:
    body = ("کالایی که رسید با عکس سایت فرق دارد و جعبه‌اش هم باز شده بود " * 66).strip()
    assert 4000 < len(body) < 4096
    with telegram(max_message_chars=4096) as client:
        customer = Customer(client, bot_api)
        customer.says("میخوام تیکت ثبت کنم")
        customer.presses('/inform{"topic": "other"}')
        customer.says("مریم احمدی")
        customer.says("maryam@example.com")
        customer.says("09121234567")
        customer.presses("/skip")
        customer.says(body)
        parts = customer.presses("/skip")  # no attachment: the summary repeats the body
    assert len(parts) >= 2
    assert all(utf16_length(p["text"]) <= 4096 for p in parts)
    joined = "".join(p["text"] for p in parts)
    assert body.replace(" ", "") in joined.replace(" ", "").replace("\n", "")
    # the confirm buttons sit under the last part only
    assert [callback_data(p) for p in parts[:-1]] == [[]] * (len(parts) - 1)
    assert callback_data(parts[-1]) == ["/affirm", "/deny"]


def test_operator_messages_reach_the_chat_and_the_bot_is_silent_meanwhile(
    telegram, bot_api
) -> None:
    path = f"/v1/operator/conversations/{SENDER}"
    with telegram() as client:
        customer = Customer(client, bot_api)
        assert client.post("/v1/operator/presence", headers=SARA).json()["available"] is True
        [waiting] = customer.says("لطفا وصلم کنید به اپراتور")
        assert waiting["text"] == texts.HANDOFF_WAITING

        assert client.post(f"{path}/claim", headers=SARA).status_code == 200
        bot_api.wait_for("sendMessage", 2)
        reply = "سلام، سارا هستم. چطور کمکتان کنم؟"
        assert client.post(f"{path}/messages", headers=SARA, json={"text": reply}).is_success
        bot_api.wait_for("sendMessage", 3)

        assert customer.says("شماره تلفن پشتیبانی چنده؟") == []  # held: the bot is silent
        assert client.post(f"{path}/close", headers=SARA).status_code == 200
        sent = bot_api.wait_for("sendMessage", 4)
        # the relay sends in order: nothing came between the operator's reply and the close
        assert [s["text"] for s in sent] == [
            texts.HANDOFF_WAITING,
            texts.HANDOFF_CLAIMED,
            reply,
            texts.HANDOFF_CLOSED,
        ]
        assert {int(s["chat_id"]) for s in sent} == {CHAT}

        [again] = customer.says("شماره تلفن پشتیبانی چنده؟")
        assert PHONE_FACT in again["text"]


# --- polling and the commands -------------------------------------------------------


def test_polling_handles_a_batch_of_updates(make_settings, bot_api) -> None:
    settings = make_settings(telegram_token=TOKEN, telegram_api_base_url=bot_api.base_url)
    services = build_services(settings)
    bot_api.queue_updates(text_update(1, "شماره تلفن پشتیبانی چنده؟"), text_update(2, "/start"))

    async def run() -> None:
        channel = TelegramChannel(build_bot(settings), services)
        stop = asyncio.Event()
        poller = asyncio.create_task(poll(channel, stop, timeout=1))
        await asyncio.to_thread(bot_api.wait_for, "sendMessage", 2)
        stop.set()
        await asyncio.wait_for(poller, 10)

    try:
        asyncio.run(run())
    finally:
        services.close()
    first, second = bot_api.sent()
    assert PHONE_FACT in first["text"] and "پاسخگو" in second["text"]
    assert bot_api.called("deleteWebhook")  # polling and a webhook exclude each other
    # the batch was confirmed: a later getUpdates asked from the next update on
    assert 3 in [int(call.get("offset", 0)) for call in bot_api.called("getUpdates")]


def test_set_webhook_registers_the_url_with_the_secret(bot_api, monkeypatch) -> None:
    monkeypatch.setenv("PASOKHGOO_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("PASOKHGOO_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PASOKHGOO_TELEGRAM_API_BASE_URL", bot_api.base_url)
    url = "https://support.example.com/webhooks/telegram"
    result = CliRunner().invoke(cli.app, ["telegram", "set-webhook", url])
    assert result.exit_code == 0, result.output
    assert "@pasokhgoo_bot" in result.output
    [call] = bot_api.called("setWebhook")
    assert call["url"] == url and call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]


def test_set_webhook_refuses_plain_http(bot_api, monkeypatch) -> None:
    monkeypatch.setenv("PASOKHGOO_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("PASOKHGOO_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PASOKHGOO_TELEGRAM_API_BASE_URL", bot_api.base_url)
    result = CliRunner().invoke(cli.app, ["telegram", "set-webhook", "http://x/webhooks/telegram"])
    assert result.exit_code == 1 and isinstance(result.exception, ConfigError)
    assert bot_api.called("setWebhook") == []


# --- rendering, as tables -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("کوتاه", ["کوتاه"]),  # fits: one part
        ("aaaa bbbb cccc", ["aaaa bbbb", "cccc"]),  # no line break: the last space
        ("line one\nline two", ["line one", "line two"]),  # a line break in the back half
        ("a\nbbbb cccc dddd", ["a\nbbbb", "cccc dddd"]),  # a break too early: the space
        ("abcdefghijklmno", ["abcdefghij", "klmno"]),  # one endless word: cut at the limit
        ("😀" * 6, ["😀" * 5, "😀"]),  # an emoji is two UTF-16 units to Telegram
    ],
)
def test_split_text(text: str, expected: list[str]) -> None:
    assert split_text(text, limit=10) == expected


def test_a_payload_over_64_bytes_goes_by_a_short_key() -> None:
    payloads = CallbackPayloads()
    long = '/inform{"topic": "after_sales", "order_number": "1234567", "note": "بسته"}'
    assert len(long.encode()) > CALLBACK_LIMIT
    keyboard = payloads.keyboard([Button("خدمات", long), Button("تأیید", "/affirm")])
    key, short = (row[0].callback_data for row in keyboard.inline_keyboard)
    assert short == "/affirm" and len(key.encode()) <= CALLBACK_LIMIT
    assert payloads.payload_for(key) == long
    assert CallbackPayloads().payload_for(key) is None  # forgotten (after a restart)


def test_the_file_url_sits_beside_the_method_url() -> None:
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
