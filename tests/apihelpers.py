"""Helpers shared by the API tests."""

from __future__ import annotations

ADMIN = {"Authorization": "Bearer admin-secret"}
SARA = {"Authorization": "Bearer sara-secret"}
REZA = {"Authorization": "Bearer reza-secret"}

# a ticket form answered from the first message to the attachment step
TICKET_FORM = [
    "میخوام تیکت ثبت کنم",
    '/inform{"topic": "order"}',
    "مریم احمدی",
    "maryam@example.com",
    "09121234567",
    "۱۲۳۴۵۶۷۸",
    "سفارشم دیر رسیده",
    "/skip",
]


def assert_error(response, status: int, code: str) -> dict:
    """Every API error has one body shape: {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    return body["error"]
