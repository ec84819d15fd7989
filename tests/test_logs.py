"""No phone number or email reaches the logs at INFO, whatever a customer writes."""

from __future__ import annotations

import logging

import pytest

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
            "GET /v1/tickets/PG-A?contact=[phone]",
        ),
        ("mail from %s", ("a.b@example.com",), "mail from [email]"),
        ("chat.turn action=%s", ("answer",), "chat.turn action=answer"),
        (
            '"GET /v1/operator/ws?token=%s HTTP/1.1"',
            ("s3cret",),
            '"GET /v1/operator/ws?token=*** HTTP/1.1"',
        ),
    ],
)
def test_mask_filter(message: str, args: tuple, shown: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, args, None)
    MaskContacts().filter(record)
    assert record.getMessage() == shown


def test_uvicorn_handlers_all_mask() -> None:
    config = uvicorn_log_config()
    assert all("mask_contacts" in h["filters"] for h in config["handlers"].values())
    assert config["loggers"]["pasokhgoo"]["level"] == "INFO"
