"""Limits a client meets on every route: integers within what the databases store, and
request bodies within their limit however they are sent (with Content-Length or chunked)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from apihelpers import ADMIN, SARA, assert_error

INT64_MAX = 2**63 - 1  # SQLite INTEGER, PostgreSQL BIGINT
HUGE = INT64_MAX + 1

# (method, path, headers, JSON body, the parameter the 422 names)
TOO_LARGE = [
    ("get", f"/v1/chat/c1/messages?after={HUGE}", {}, None, "query.after"),
    ("get", f"/v1/staff/tickets?offset={HUGE}", SARA, None, "query.offset"),
    ("delete", f"/v1/admin/examples/{HUGE}", ADMIN, None, "path.example_id"),
    ("post", f"/v1/admin/faq/contact_phone/revert/{HUGE}", ADMIN, None, "path.history_id"),
    ("post", f"/v1/admin/suggestions/{HUGE}/dismiss", ADMIN, None, "path.suggestion_id"),
    ("post", f"/v1/admin/suggestions/{HUGE}/accept", ADMIN, {"key": "k"}, "path.suggestion_id"),
    ("delete", f"/v1/admin/faq/contact_phone?revision={HUGE}", ADMIN, None, "query.revision"),
    ("patch", "/v1/admin/faq/contact_phone", ADMIN, {"revision": HUGE}, "body.revision"),
    ("get", f"/v1/admin/gaps?min_count={HUGE}", ADMIN, None, "query.min_count"),
    ("delete", "/v1/admin/examples/0", ADMIN, None, "path.example_id"),  # ids start at 1
    ("post", "/v1/admin/suggestions/-1/dismiss", ADMIN, None, "path.suggestion_id"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "field"), TOO_LARGE)
def test_out_of_range_integers_are_a_422_naming_the_parameter(
    client, method: str, path: str, headers: dict, body: dict | None, field: str
) -> None:
    kwargs = {"json": body} if body is not None else {}
    error = assert_error(
        getattr(client, method)(path, headers=headers, **kwargs), 422, "invalid_request"
    )
    assert [d["field"] for d in error["details"]] == [field]


# the largest value is still an ordinary question to the database: nothing there
@pytest.mark.parametrize(
    ("path", "headers", "listed"),
    [
        (f"/v1/chat/c1/messages?after={INT64_MAX}", {}, "messages"),
        (f"/v1/staff/tickets?offset={INT64_MAX}", SARA, "tickets"),
    ],
)
def test_the_largest_cursor_or_offset_lists_nothing(
    client, path: str, headers: dict, listed: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()[listed] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", f"/v1/admin/examples/{INT64_MAX}"),
        ("post", f"/v1/admin/faq/contact_phone/revert/{INT64_MAX}"),
        ("post", f"/v1/admin/suggestions/{INT64_MAX}/dismiss"),
    ],
)
def test_the_largest_id_is_not_found(client, method: str, path: str) -> None:
    assert_error(getattr(client, method)(path, headers=ADMIN), 404, "not_found")


CHUNK = 64 * 1024


def chunked(body: bytes, size: int = CHUNK) -> Iterator[bytes]:
    """The body as a generator: httpx sends it chunked, without a Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_chunked_body_over_the_limit_is_a_413(client) -> None:
    ten_mb = b'{"sender_id": "c1", "text": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post(
        "/v1/chat", content=chunked(ten_mb), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    error = assert_error(response, 413, "payload_too_large")
    assert str(64 * 1024) in error["message"]


def test_a_chunked_body_under_the_limit_is_answered(client) -> None:
    body = '{"sender_id": "c1", "text": "شماره تلفن پشتیبانی چنده؟"}'.encode()
    response = client.post(
        "/v1/chat", content=chunked(body, 16), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 200, response.text
    assert "۰۲۱-۹۱۰۰۰۱۰۰" in response.json()["replies"][0]["text"]


def test_reading_a_chunked_body_stops_at_the_limit(client) -> None:
    """The server never holds a 10 MB body: it stops asking for chunks past 64 KiB."""
    pulled = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * CHUNK, "more_body": pulled < 160}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat",
        "raw_path": b"/v1/chat",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    client.portal.call(client.app, scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"
    assert pulled == 2  # the first chunk fits in 64 KiB; the second one passes it
