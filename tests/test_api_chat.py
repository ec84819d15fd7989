"""The customer's side of the HTTP API, end to end: answers, clarifying, fallback,
forms, Rasa's REST channel and parse, FAQ search, and the error bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apihelpers import assert_error
from fastapi.testclient import TestClient

# one customer question per FAQ key, and a fact its answer must contain
FAQ_FACTS = [
    ("faq/contact_phone", "شماره تلفن پشتیبانی دیجیکالا چنده؟", "۰۲۱-۹۱۰۰۰۱۰۰"),
    ("faq/contact_email", "ایمیل پشتیبانی رو میخوام", "info@digikala.com"),
    ("faq/online_chat", "چطوری با پشتیبانی چت آنلاین کنم؟", "هدفون"),
    ("faq/ticket_howto", "چطور میشه تیکت فرستاد؟ مراحلش چیه", "ثبت و ارسال"),
    ("faq/support_hours", "پشتیبانی از ساعت چند تا چند جواب میده؟", "۲۴ ساعته"),
    ("faq/holidays", "روزهای تعطیل پشتیبانی جواب میده؟", "تعطیلی"),
    ("faq/seller_support", "شماره پشتیبانی فروشندگان چنده؟", "۰۲۱-۶۱۹۳۰۶۰۰"),
    ("faq/jet_support", "پشتیبانی دیجیکالا جت", "جت"),
    ("faq/return_howto", "روش های مرجوع کردن کالا چیه؟", "داخلی ۱"),
    ("faq/order_tracking", "چطوری سفارشمو پیگیری کنم؟", "جزئیات سفارش"),
    ("faq/faq_page", "صفحه سوالات متداول کجاست؟", "سؤالات متداول"),
    ("faq/contact_channels", "راه های ارتباط با پشتیبانی چیا هستن؟ کدوم سریع تره؟", "تلفن"),
    ("faq/discount_code", "کد تخفیف دارین؟", "تخفیف"),
    ("faq/after_sales", "خدمات پس از فروش چطوریه؟", "خدمات پس از فروش"),
]


def say(client: TestClient, text: str, sender: str = "c1", **extra) -> dict:
    response = client.post("/v1/chat", json={"sender_id": sender, "text": text, **extra})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("intent", "question", "fact"), FAQ_FACTS)
def test_each_faq_key_is_answered_with_its_fact(
    client, intent: str, question: str, fact: str
) -> None:
    body = say(client, question)
    assert body["action"] == "answer"
    assert body["intent"]["name"] == intent
    assert fact in body["replies"][0]["text"]


@pytest.mark.parametrize(
    "text",
    [
        "shomare telephone poshtibani chande?",  # Finglish
        "شماره تلفن پشتيباني ديجي كالا",  # Arabic ي and ك
        "شمارهتلفن پشتیبانی چنده",  # words glued, no half-space
        "شماره تلففن پشتیبانی چنده",  # typo
        "سلاااام شماره پشتیبانی رو میخواستم 🙏🙏",  # repeated letters and emoji
    ],
)
def test_messy_spellings_get_the_phone_answer(client, text: str) -> None:
    body = say(client, text)
    assert body["intent"]["name"] == "faq/contact_phone"
    assert "۰۲۱-۹۱۰۰۰۱۰۰" in body["replies"][0]["text"]


def test_response_shape_is_the_contract(client) -> None:
    body = say(client, "میخوام سفارش ۱۲۳۴۵۶۷ رو پس بدم")
    assert set(body) == {
        "sender_id",
        "replies",
        "intent",
        "intent_ranking",
        "entities",
        "action",
        "form",
        "ticket",
        "handoff",
    }
    assert body["entities"] == [
        {"entity": "order_number", "value": "1234567", "start": 13, "end": 20}
    ]
    assert body["intent_ranking"][0] == body["intent"]
    assert body["form"] == {"name": "return_form", "requested_slot": "reason"}


def test_small_talk(client) -> None:
    body = say(client, "سلام")
    assert body["action"] == "smalltalk"
    assert "پاسخگو" in body["replies"][0]["text"]


def test_nonsense_falls_back_with_ticket_and_operator_buttons_then_escalates(client) -> None:
    first = say(client, "asdkjh qwpoi zmxn")
    assert first["action"] == "fallback"
    assert [b["payload"] for b in first["replies"][0]["buttons"]] == [
        "/create_ticket",
        "/request_human",
    ]
    second = say(client, "ققثف لبلا ضصث")
    # nobody is online: the second miss in a row opens the ticket form
    assert second["action"] == "ticket_form"
    assert second["form"] == {"name": "ticket_form", "requested_slot": "topic"}


def test_ambiguous_question_is_clarified_and_a_button_selects_the_key(serve) -> None:
    # with the widest margin, any message with a runner-up FAQ key is "ambiguous"
    two_topic_questions = [
        "ایمیل یا تلفن",
        "پشتیبانی جت و فروشندگان",
        "چت یا تلفن",
        "ساعت کاری و تعطیلات",
        "تیکت یا ایمیل",
    ]
    with serve(ambiguity_margin=1.0) as client:

        def runner_up(text: str) -> float:
            ranking = client.post("/model/parse", json={"text": text}).json()
            faq = ranking["response_selector"]["faq"]["ranking"]
            return faq[1]["confidence"] if len(faq) > 1 else 0.0

        question = next((q for q in two_topic_questions if runner_up(q) >= 0.1), None)
        assert question is not None, "no two-topic question left the model in doubt"
        body = say(client, question)
        assert body["action"] == "clarify", body["intent_ranking"]
        buttons = body["replies"][0]["buttons"]
        payloads = [b["payload"] for b in buttons]
        assert 3 <= len(payloads) <= 4 and payloads[-1] == "/out_of_scope"
        assert all(p.startswith("/faq/") for p in payloads[:-1])
        assert all(b["title"] and not b["title"].startswith("/") for b in buttons)
        chosen = buttons[0]
        answer = say(client, chosen["payload"])
        assert answer["action"] == "answer"
        assert answer["intent"] == {"name": chosen["payload"][1:], "confidence": 1.0}


def test_return_form_ends_in_a_stored_return_ticket(client) -> None:
    first = say(client, "mikham sefaresh 7654321 ro pas bedam")
    assert first["action"] == "return_form"
    assert first["form"]["requested_slot"] == "reason"
    reasons = [b["payload"] for b in first["replies"][0]["buttons"]]
    assert '/inform{"reason": "wrong_item"}' in reasons
    confirm = say(client, '/inform{"reason": "wrong_item"}')
    assert confirm["form"]["requested_slot"] == "confirm"
    assert "۷۶۵۴۳۲۱" in confirm["replies"][0]["text"] or "7654321" in confirm["replies"][0]["text"]
    done = say(client, "بله")
    assert done["action"] == "ticket_created"
    ticket = done["ticket"]
    assert ticket["type"] == "return" and ticket["status"] == "open"
    assert ticket["tracking_code"] in done["replies"][0]["text"]
    stored = client.app.state.services.stores.tickets.get(ticket["tracking_code"])
    assert stored.order_number == "7654321" and stored.reason == "wrong_item"


def test_ticket_form_with_invalid_email_re_asked_and_a_question_mid_form(client) -> None:
    steps = [
        ("میخوام تیکت ثبت کنم", "topic"),
        ('/inform{"topic": "payment"}', "name"),
        ("سارا محمدی", "email"),
        ("sara@", "email"),  # invalid: asked again
        ("ایمیل پشتیبانی چیه؟", "email"),  # a question: answered, then the form resumes
        ("sara@example.com", "phone"),
        ("0912 345 6789", "order_number"),
        ("ندارم", "message"),
        ("پول از حسابم کم شده ولی سفارش ثبت نشده", "attachment"),
        ("/skip", "confirm"),
    ]
    for text, slot in steps:
        body = say(client, text)
        assert body["form"] == {"name": "ticket_form", "requested_slot": slot}, (text, body)
        if text == "sara@":
            assert "ایمیل معتبر نیست" in body["replies"][0]["text"]
        if text.startswith("ایمیل پشتیبانی"):
            assert "info@digikala.com" in body["replies"][0]["text"]
            assert "ایمیلتان" in body["replies"][-1]["text"]
    done = say(client, "/affirm")
    assert done["action"] == "ticket_created" and done["form"] is None
    stored = client.app.state.services.stores.tickets.get(done["ticket"]["tracking_code"])
    assert (stored.topic, stored.email, stored.phone, stored.order_number) == (
        "payment",
        "sara@example.com",
        "09123456789",
        None,
    )


def test_cancel_leaves_the_form(client) -> None:
    say(client, "میخوام تیکت بزنم")
    body = say(client, "انصراف")
    assert body["form"] is None
    assert "لغو شد" in body["replies"][0]["text"]
    assert say(client, "شماره تلفن پشتیبانی")["action"] == "answer"


def test_attachment_upload_is_linked_to_the_ticket(client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    upload = client.post("/v1/chat/c1/attachments", files={"file": ("photo.png", png)})
    assert upload.status_code == 201, upload.text
    attachment = upload.json()
    assert attachment["kind"] == "photo"
    for text in [
        "میخوام تیکت ثبت کنم",
        "سفارش",
        "علی رضایی",
        "ali@example.com",
        "09121234567",
        "ندارم",
        "کالا شکسته رسیده",
    ]:
        say(client, text)
    body = say(client, "", metadata={"attachment_ids": [attachment["id"]]})
    assert body["form"]["requested_slot"] == "confirm"
    done = say(client, "/affirm")
    stored = client.app.state.services.stores.tickets.get(done["ticket"]["tracking_code"])
    assert [a.id for a in stored.attachments] == [attachment["id"]]


def test_upload_that_is_not_a_photo_or_video_is_refused(client) -> None:
    response = client.post(
        "/v1/chat/c1/attachments", files={"file": ("photo.jpg", b"<?php system($_GET['c']); ?>")}
    )
    assert_error(response, 415, "attachment_type")


def _multipart_chunks(name: str, content: bytes) -> tuple[Iterator[bytes], str]:
    """A one-file multipart body sent chunked, without a Content-Length."""
    boundary = "pasokhgoo-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    chunks = (body[i : i + 16 * 1024] for i in range(0, len(body), 16 * 1024))
    return chunks, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("size", "chunked", "code", "limit"),
    [
        # over the file limit, within the body's (the file's plus room for the multipart frame)
        (4096, False, "attachment_too_large", 2048),
        (200_000, False, "payload_too_large", 2048 + 64 * 1024),  # by its Content-Length
        (200_000, True, "payload_too_large", 2048 + 64 * 1024),  # cut off while it streams
    ],
)
def test_oversized_attachment_is_refused_and_nothing_stored(
    serve, tmp_path, size: int, chunked: bool, code: str, limit: int
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * size
    with serve(max_attachment_bytes=2048) as client:
        if chunked:
            body, content_type = _multipart_chunks("photo.png", png)
            response = client.post(
                "/v1/chat/c1/attachments", content=body, headers={"content-type": content_type}
            )
        else:
            response = client.post("/v1/chat/c1/attachments", files={"file": ("photo.png", png)})
        error = assert_error(response, 413, code)
        assert f"{limit} bytes" in error["message"] or f"limit is {limit}" in error["message"]
        small = client.post("/v1/chat/c1/attachments", files={"file": ("p.png", png[:1024])})
        assert small.status_code == 201, small.text  # the limit, not the upload, was refused
    uploads = tmp_path / "var" / "uploads"
    assert [p.stat().st_size for p in uploads.iterdir()] == [1024]


def test_rasa_rest_channel(client) -> None:
    response = client.post(
        "/webhooks/rest/webhook", json={"sender": "r1", "message": "mikham kalamo pas bedam"}
    )
    assert response.status_code == 200
    replies = response.json()
    assert replies[0]["recipient_id"] == "r1"
    assert "شماره سفارش" in replies[0]["text"]
    greet = client.post("/webhooks/rest/webhook", json={"sender": "r1", "message": "انصراف"})
    assert "buttons" not in greet.json()[0]


def test_model_parse_is_rasa_shaped(client) -> None:
    response = client.post("/model/parse", json={"text": "shomare telephone poshtibani chande"})
    body = response.json()
    assert body["text"] == "shomare telephone poshtibani chande"
    assert body["intent"]["name"] == "faq"
    assert body["intent"]["full_retrieval_intent_name"] == "faq/contact_phone"
    selector = body["response_selector"]["faq"]
    assert selector["response"]["intent_response_key"] == "faq/contact_phone"
    assert "۰۲۱-۹۱۰۰۰۱۰۰" in selector["response"]["responses"][0]["text"]
    assert selector["response"]["utter_action"] == "utter_faq/contact_phone"
    names = [item["name"] for item in body["intent_ranking"]]
    assert names[0] == "faq" and len(names) == len(set(names))


def test_faq_search(client) -> None:
    body = client.get("/v1/faq/search", params={"q": "ايميل پشتيباني", "k": 3}).json()
    assert body["hits"][0]["key"] == "contact_email"
    assert "info@digikala.com" in body["hits"][0]["answer"]
    assert len(body["hits"]) <= 3


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"json": {"sender_id": "c1", "text": "x" * 2001}}, 413, "message_too_long"),
        ({"json": {"sender_id": "c1", "text": "   "}}, 422, "empty_message"),
        ({"json": {"sender_id": "c1"}}, 422, "empty_message"),
        ({"json": {"text": "سلام"}}, 422, "invalid_request"),
        ({"json": {"sender_id": "", "text": "سلام"}}, 422, "invalid_request"),
        ({"json": {"sender_id": "a\nb", "text": "سلام"}}, 422, "invalid_request"),
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            422,
            "invalid_request",
        ),
        (
            {
                "content": b'{"sender_id": "c1", "text": "\xff\xfe"}',
                "headers": {"content-type": "application/json"},
            },
            400,
            "malformed_body",
        ),
        (
            {"content": b"x" * 70_000, "headers": {"content-type": "application/json"}},
            413,
            "payload_too_large",
        ),
        (
            {"json": {"sender_id": "c1", "text": "hi", "metadata": {"attachment_ids": "x"}}},
            422,
            "invalid_request",
        ),
    ],
)
def test_bad_requests_get_clear_errors(
    client, request_kwargs: dict, status: int, code: str
) -> None:
    error = assert_error(client.post("/v1/chat", **request_kwargs), status, code)
    if code == "invalid_request" and "json" in request_kwargs:
        assert error["details"] and "field" in error["details"][0]


def test_random_unicode_and_control_characters_get_an_answer(client) -> None:
    for text in ["\x00\x01\x02", "🙂" * 500, "\u202e\u200fسلام\u200b", "ـــــ", "؟؟؟!!!"]:
        body = say(client, text)
        assert body["replies"], text


def test_unknown_route_and_method_use_the_error_body(client) -> None:
    assert_error(client.get("/v1/nope"), 404, "not_found")
    assert_error(client.get("/v1/chat"), 405, "method_not_allowed")


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model"]["data_hash"]
    assert client.get("/openapi.json").status_code == 200
