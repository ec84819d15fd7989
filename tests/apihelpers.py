"""Helpers shared by the API tests."""

from __future__ import annotations

ADMIN = {"Authorization": "Bearer admin-secret"}
SARA = {"Authorization": "Bearer sara-secret"}
REZA = {"Authorization": "Bearer reza-secret"}


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
