"""No phone number or email reaches the logs at INFO, whatever a customer writes."""

from __future__ import annotations

import logging
import sys
from urllib.parse import quote

import pytest
from serverkit import Server, prepare_var_dir
from websockets.sync.client import connect

from bot.logs import MaskContacts, uvicorn_log_config

CONTACTS = ["09121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "ali.rezaei@example.com", "+989351112233"]


def test_a_full_conversation_logs_no_contact(serve, caplog) -> None:
    caplog.set_level(logging.INFO)  # what production writes; our code never logs contacts
    with serve() as client:
        for text in [
            "میخوام تیکت ثبت کنم",
            "سفارش",
            "علی رضایی",
            "ali.rezaei@example.com",
            "۰۹۱۲ ۱۲۳ ۴۵۶۷",
            "ندارم",
            "تماس بگیرید 09121234567 یا +989351112233",
            "/skip",
            "/affirm",
        ]:
            client.post("/v1/chat", json={"sender_id": "c1", "text": text})
        code = client.get(
            "/v1/staff/tickets", headers={"Authorization": "Bearer admin-secret"}
        ).json()["tickets"][0]["tracking_code"]
        client.get(f"/v1/tickets/{code}", params={"contact": "09121234567"})
    # the service's own records (the test's HTTP client logs its URLs on its own)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("pasokhgoo"))
    assert "chat.turn" in logged and "ticket.created" in logged
    for contact in CONTACTS:
        assert contact not in logged


@pytest.mark.parametrize(
    ("message", "args", "shown"),
    [
        (
            "GET /v1/tickets/PG-A?contact=%s",
            ("09121234567",),
            "GET /v1/tickets/PG-A?contact=***",
        ),
        ("mail from %s", ("a.b@example.com",), "mail from [email]"),
        ("chat.turn action=%s", ("answer",), "chat.turn action=answer"),
        ("sent %s to %d", ("the code", 9121234567), "sent the code to 9121234567"),
        ("call %s%s", ("0912123", "4567"), "call [phone]"),  # made by two arguments
        (
            '"GET /v1/operator/ws?token=%s HTTP/1.1"',
            ("s3cret",),
            '"GET /v1/operator/ws?token=*** HTTP/1.1"',
        ),
        # a contact URL-encoded in a query: its value goes, the other parameters stay
        ("GET %s", ("/v1/x?after=3&q=%2B989121234567",), "GET /v1/x?after=3&q=***"),
        ("GET %s", ("/v1/x?q=a.b%40example.com&k=5",), "GET /v1/x?q=***&k=5"),
        ("GET %s", ("/v1/x?q=0912+123+4567",), "GET /v1/x?q=***"),
        (
            "GET %s",
            ("/v1/x?q=%DB%B0%DB%B9%DB%B1%DB%B2%DB%B1%DB%B2%DB%B3%DB%B4%DB%B5%DB%B6%DB%B7",),
            "GET /v1/x?q=***",
        ),
        # …or in a path segment (a sender id)
        (
            "GET %s",
            ("/v1/chat/%2B98%20912%20123%204567/messages",),
            "GET /v1/chat/[phone]/messages",
        ),
        (
            "GET %s",
            ("/v1/faq/search?q=%D8%B3%D9%84%D8%A7%D9%85&k=5",),
            "GET /v1/faq/search?q=%D8%B3%D9%84%D8%A7%D9%85&k=5",
        ),
    ],
)
def test_mask_filter(message: str, args: tuple, shown: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, args, None)
    MaskContacts().filter(record)
    assert record.getMessage() == shown


def test_an_access_line_keeps_its_arguments_for_uvicorns_formatter() -> None:
    from uvicorn.logging import AccessFormatter

    args = ("127.0.0.1:5000", "GET", "/v1/tickets/PG-A?contact=%2B989121234567", "1.1", 200)
    message = '%s - "%s %s HTTP/%s" %d'  # uvicorn's
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, message, args, None)
    MaskContacts().filter(record)
    line = AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s').format(record)
    assert line == '127.0.0.1:5000 "GET /v1/tickets/PG-A?contact=*** HTTP/1.1" 200 OK'


def test_a_traceback_is_masked_too() -> None:
    try:
        raise ValueError("no ticket for 09121234567")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    MaskContacts().filter(record)
    shown = logging.Formatter().format(record)
    assert "ValueError: no ticket for [phone]" in shown and "09121234567" not in shown


def test_uvicorn_handlers_all_mask() -> None:
    config = uvicorn_log_config()
    assert all("mask_contacts" in h["filters"] for h in config["handlers"].values())
    assert config["loggers"]["pasokhgoo"]["level"] == "INFO"


# --- a real server's whole output ------------------------------------------------------

PHONE_DIGITS = "9123456789"  # the customer's mobile, 0912 345 6789
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
EMAIL = "privacy.probe@example.com"
ACTION_TOKEN = "rasa-action-secret-7f3a"
STAFF_TOKENS = ["admin-secret", "sara-secret"]  # serverkit's
SARA_HEADER = {"Authorization": "Bearer sara-secret"}


def phone_spellings(digits: str) -> list[str]:
    """What's left of the number in a log line however it was written or URL-encoded:
    its last ten digits, grouped 3-3-4 by a space, dash, `+` or `%20`, in ASCII or
    Persian digits (raw or percent-encoded)."""
    groups = [digits[:3], digits[3:6], digits[6:]]
    found = []
    for separator in ["", " ", "-", "+", "%20"]:
        ascii_ = separator.join(groups)
        persian = ascii_.translate(PERSIAN_DIGITS)
        found += [ascii_, persian, quote(persian), quote(persian).lower()]
    return found


def leaks(log: str) -> list[str]:
    needles = [*phone_spellings(PHONE_DIGITS), *STAFF_TOKENS, ACTION_TOKEN]
    found = [needle for needle in needles if needle in log]
    local_part = EMAIL.split("@")[0]  # the address, raw, %40-encoded or upper-cased
    if local_part in log.lower():
        found.append(EMAIL)
    return found


@pytest.mark.slow
def test_a_real_servers_whole_log_shows_no_contact_or_token(tmp_path, model_dir) -> None:
    var_dir = prepare_var_dir(tmp_path / "var", model_dir)
    server = Server("logs", var_dir, {"PASOKHGOO_ACTION_TOKEN": ACTION_TOKEN})
    try:
        server.wait_ready()
        client = server.client
        # a ticket form, the contacts spelled as customers type them
        for text in [
            "میخوام تیکت ثبت کنم",
            '/inform{"topic": "order"}',
            "مریم احمدی",
            EMAIL,
            "۰۹۱۲ ۳۴۵ ۶۷۸۹",
            "/skip",
            f"لطفا با 0912-345-6789 یا {EMAIL.upper()} تماس بگیرید",
            "/skip",
        ]:
            server.say("logs-1", text)
        code = server.say("logs-1", "/affirm")["ticket"]["tracking_code"]
        # the customer looks the ticket up by its contact, in every spelling
        for contact in ["09123456789", "+989123456789", "۰۹۱۲۳۴۵۶۷۸۹", "0912 345 6789", EMAIL]:
            found = client.get(f"/v1/tickets/{code}", params={"contact": contact})
            assert found.status_code == 200, (contact, found.text)
        assert client.get(f"/v1/tickets/{code}?contact=0912+345+6789").status_code == 200

        # operators follow every conversation live, the token in the URL
        url = f"ws://127.0.0.1:{server.port}/v1/operator/ws"
        with connect(f"{url}?token=sara-secret") as operator, connect(f"{url}?token=admin-secret"):
            # a handoff, and an operator's reply carrying the contacts
            assert client.post("/v1/operator/presence", headers=SARA_HEADER).is_success
            assert server.say("logs-2", "لطفا وصلم کنید به اپراتور")["handoff"]
            path = "/v1/operator/conversations/logs-2"
            assert client.post(f"{path}/claim", headers=SARA_HEADER).is_success
            reply = {"text": f"با شماره‌ی ۰۹۱۲۳۴۵۶۷۸۹ یا {EMAIL} تماس می‌گیریم"}
            assert client.post(f"{path}/messages", headers=SARA_HEADER, json=reply).is_success
            server.say("logs-2", "ممنون، شماره‌ام +98 912 345 6789 است")
            operator.recv(timeout=10)
        # Rasa's action call, its token in the URL, storing a ticket with the contacts
        slots = {
            "topic": "order",
            "name": "مریم احمدی",
            "email": EMAIL,
            "phone": "09123456789",
            "order_number": "skipped",
            "message": "سفارشم نرسیده",
            "attachment": "skipped",
            "confirm": True,
        }
        tracker = {"sender_id": "logs-3", "slots": slots, "events": []}
        call = {"next_action": "action_submit_ticket_form", "tracker": tracker}
        stored = client.post("/webhook", params={"token": ACTION_TOKEN}, json=call)
        assert stored.status_code == 200, stored.text
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")

    # the log has what we scan: the events, the access lines with their query strings
    assert "ticket.created" in log and "handoff" in log
    assert log.count(f"GET /v1/tickets/{code}?contact=") == 6, log[-3000:]
    assert "/v1/operator/ws?token=***" in log and "/webhook?token=***" in log
    assert "Logging error" not in log and "Traceback" not in log, log[-3000:]
    assert leaks(log) == [], log[-3000:]
