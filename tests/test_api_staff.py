"""Tickets and live operators over HTTP: the full operator cycle, token checks on every
staff route, customers reading only their own ticket, and restarts losing nothing."""

from __future__ import annotations

import uuid

import pytest
from apihelpers import ADMIN, REZA, SARA, TICKET_FORM, assert_error
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect


def say(client: TestClient, text: str, sender: str = "c1") -> dict:
    response = client.post("/v1/chat", json={"sender_id": sender, "text": text})
    assert response.status_code == 200, response.text
    return response.json()


STAFF_PREFIXES = ("/v1/staff/", "/v1/operator/")


def _staff_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) for staff, from the app's OpenAPI schema: each operation under
    the staff and operator prefixes (a new one that forgot the token is caught too), and
    each other one the schema marks as needing a token, bar the admin's (those are
    tests/test_admin_faq.py's)."""
    paths = client.app.openapi()["paths"]
    return sorted(
        # `{tracking_code}` → `tracking_code`: the token is checked before the value matters
        (method, path.replace("{", "").replace("}", ""))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if path.startswith(STAFF_PREFIXES)
        or (operation.get("security") and not path.startswith("/v1/admin"))
    )


REFUSALS = [
    ({}, 401, "unauthorized"),
    ({"Authorization": "Bearer not-a-token"}, 403, "forbidden"),
    ({"Authorization": "Bearer sara-secreT"}, 403, "forbidden"),  # one letter off
]


def test_every_staff_route_refuses_missing_and_wrong_tokens(client) -> None:
    routes = _staff_routes(client)
    # tickets (list, read, status, reply), attachments, queue, presence, claim, reply, close
    assert len(routes) >= 10, routes
    for method, path in routes:
        for headers, status, code in REFUSALS:
            response = getattr(client, method)(path, headers=headers)
            assert response.status_code == status, (method, path, headers, response.text)
            assert_error(response, status, code)


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-token", "?token=sara-secreT"])
def test_operator_websocket_refuses_a_missing_or_wrong_token(client, query: str) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(f"/v1/operator/ws{query}") as ws,
    ):
        ws.receive_json()
    assert refused.value.code == 1008  # policy violation


def test_operator_websocket_accepts_an_operator_token(client) -> None:
    with client.websocket_connect("/v1/operator/ws?token=sara-secret") as ws:
        client.post("/v1/operator/presence", headers=SARA)
        say(client, "اپراتور لطفا")
        assert ws.receive_json()["sender_id"] == "c1"


def test_nobody_online_means_no_handoff_but_a_ticket_offer(client) -> None:
    body = say(client, "میخوام با یه آدم واقعی حرف بزنم")
    assert body["action"] == "handoff" and body["handoff"] == {"status": "unavailable"}
    assert [b["payload"] for b in body["replies"][0]["buttons"]] == ["/create_ticket"]
    assert client.get("/v1/operator/queue", headers=SARA).json()["conversations"] == []


def test_full_operator_cycle(client) -> None:
    assert client.post("/v1/operator/presence", headers=SARA).json()["available"] is True
    asked = say(client, "لطفا وصلم کنید به اپراتور")
    assert asked["action"] == "handoff" and asked["handoff"] == {"status": "waiting"}

    queue = client.get("/v1/operator/queue", headers=SARA).json()["conversations"]
    assert [item["sender_id"] for item in queue] == ["c1"]
    assert queue[0]["status"] == "waiting" and queue[0]["reason"]
    assert queue[0]["transcript"][0]["text"] == "لطفا وصلم کنید به اپراتور"

    with client.websocket_connect("/v1/chat/c1/ws") as customer_ws:
        claimed = client.post("/v1/operator/conversations/c1/claim", headers=SARA)
        assert claimed.json()["operator"] == "sara"
        assert "کارشناس" in customer_ws.receive_json()["text"]

        sent = client.post(
            "/v1/operator/conversations/c1/messages",
            headers=SARA,
            json={"text": "سلام، سارا هستم. چطور کمکتان کنم؟"},
        )
        assert sent.status_code == 200
        event = customer_ws.receive_json()
        assert event["role"] == "operator" and event["text"].startswith("سلام، سارا")

    # another operator cannot take over or speak in sara's conversation
    assert_error(
        client.post(
            "/v1/operator/conversations/c1/messages", headers=REZA, json={"text": "من هم هستم"}
        ),
        409,
        "claimed_by_other",
    )

    # while sara holds it, the bot is silent and the message is relayed
    relayed = say(client, "شماره تلفن پشتیبانی چنده؟")
    assert relayed["replies"] == [] and relayed["handoff"] == {"status": "with_operator"}
    polled = client.get("/v1/chat/c1/messages").json()
    assert polled["mode"] == "operator"
    texts = [(m["role"], m["text"]) for m in polled["messages"]]
    assert ("operator", "سلام، سارا هستم. چطور کمکتان کنم؟") in texts
    assert texts[-1] == ("customer", "شماره تلفن پشتیبانی چنده؟")
    after = polled["messages"][-2]["id"]
    newer = client.get("/v1/chat/c1/messages", params={"after": after}).json()["messages"]
    assert [m["text"] for m in newer] == ["شماره تلفن پشتیبانی چنده؟"]

    closed = client.post("/v1/operator/conversations/c1/close", headers=SARA)
    assert closed.json()["mode"] == "bot"
    again = say(client, "شماره تلفن پشتیبانی چنده؟")
    assert again["action"] == "answer" and "۰۲۱-۹۱۰۰۰۱۰۰" in again["replies"][0]["text"]


def test_claiming_a_conversation_nobody_asked_for_is_refused(client) -> None:
    say(client, "سلام")
    assert_error(
        client.post("/v1/operator/conversations/c1/claim", headers=SARA), 409, "not_waiting"
    )


def test_customer_leaves_the_queue(client) -> None:
    client.post("/v1/operator/presence", headers=SARA)
    say(client, "اپراتور لطفا")
    left = say(client, "انصراف")
    assert left["handoff"] == {"status": "left"}
    assert client.get("/v1/operator/queue", headers=SARA).json()["conversations"] == []


def create_ticket(client: TestClient, sender: str = "c1") -> str:
    for text in TICKET_FORM:
        say(client, text, sender)
    done = say(client, "/affirm", sender)
    assert done["action"] == "ticket_created"
    return done["ticket"]["tracking_code"]


def test_customer_reads_only_their_own_ticket(client) -> None:
    code = create_ticket(client)
    by_phone = client.get(f"/v1/tickets/{code}", params={"contact": "0912 123 4567"})
    assert by_phone.status_code == 200
    ticket = by_phone.json()
    assert ticket["status"] == "open" and ticket["order_number"] == "12345678"
    assert "email" not in ticket and "phone" not in ticket  # contacts are not echoed back
    assert (
        client.get(
            f"/v1/tickets/{code.lower()}", params={"contact": "Maryam@Example.com"}
        ).status_code
        == 200
    )
    # the tracking code alone, or with someone else's contact, is not enough
    assert_error(
        client.get(f"/v1/tickets/{code}", params={"contact": "09350000000"}),
        404,
        "ticket_not_found",
    )
    assert_error(
        client.get(f"/v1/tickets/{code}", params={"contact": "x@example.com"}),
        404,
        "ticket_not_found",
    )
    assert_error(client.get(f"/v1/tickets/{code}"), 422, "invalid_request")


def test_staff_work_a_ticket_through_its_statuses(client) -> None:
    code = create_ticket(client)
    listed = client.get("/v1/staff/tickets", headers=SARA, params={"status": "open"}).json()
    assert [t["tracking_code"] for t in listed["tickets"]] == [code]
    assert listed["tickets"][0]["email"] == "maryam@example.com"

    assert_error(
        client.patch(f"/v1/staff/tickets/{code}", headers=SARA, json={"status": "answered"}),
        409,
        "ticket_transition",
    )
    moved = client.patch(f"/v1/staff/tickets/{code}", headers=SARA, json={"status": "in_progress"})
    assert moved.json()["status"] == "in_progress"
    replied = client.post(
        f"/v1/staff/tickets/{code}/replies",
        headers=ADMIN,
        json={"text": "سفارش شما فردا ارسال می‌شود."},
    )
    assert replied.json()["status"] == "answered"
    seen = client.get(f"/v1/tickets/{code}", params={"contact": "09121234567"}).json()
    assert seen["history"][-1]["note"] == "سفارش شما فردا ارسال می‌شود."
    assert seen["history"][-1]["actor"] == "support"  # staff names stay internal
    assert [h["status"] for h in seen["history"]] == ["open", "in_progress", "answered"]
    closed = client.patch(f"/v1/staff/tickets/{code}", headers=SARA, json={"status": "closed"})
    assert closed.json()["status"] == "closed"
    assert_error(
        client.patch(f"/v1/staff/tickets/{code}", headers=SARA, json={"status": "open"}),
        409,
        "ticket_transition",
    )
    assert_error(client.get("/v1/staff/tickets/PG-ZZZZZZ", headers=SARA), 404, "ticket_not_found")


def test_attachments_are_served_to_staff_only(client) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    attachment = client.post(
        "/v1/chat/c1/attachments", files={"file": ("<script>.jpg", jpeg)}
    ).json()
    assert_error(client.get(f"/v1/staff/attachments/{attachment['id']}"), 401, "unauthorized")
    served = client.get(f"/v1/staff/attachments/{attachment['id']}", headers=SARA)
    assert served.status_code == 200 and served.content == jpeg
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"].startswith("attachment")


def test_ticket_and_conversation_survive_a_restart(serve) -> None:
    with serve() as client:
        code = create_ticket(client)
        say(client, "میخوام سفارش ۱۲۳۴۵۶۷ رو پس بدم", "c2")  # a form left half-way
    with serve() as client:  # a new process on the same database
        ticket = client.get(f"/v1/tickets/{code}", params={"contact": "09121234567"})
        assert ticket.status_code == 200 and ticket.json()["tracking_code"] == code
        resumed = say(client, "کالای اشتباه فرستادن", "c2")
        assert resumed["form"] == {"name": "return_form", "requested_slot": "confirm"}


@pytest.mark.postgres
def test_tickets_on_postgresql(serve) -> None:
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    try:
        with serve(database_url=url) as client:
            code = create_ticket(client)
            say(client, "میخوام سفارش ۱۲۳۴۵۶۷ رو پس بدم", "c2")
        with serve(database_url=url) as client:
            ticket = client.get(f"/v1/tickets/{code}", params={"contact": "09121234567"})
            assert ticket.json()["status"] == "open"
            resumed = say(client, "کالا خراب بود", "c2")
            assert resumed["form"]["requested_slot"] == "confirm"
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
