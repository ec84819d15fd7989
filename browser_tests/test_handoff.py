"""A customer asks for a person; an operator on the console (another browser profile)
claims the conversation, replies and closes it; the operator works the tickets list."""

from __future__ import annotations

import re

from drivers import OPERATOR_TOKENS, Console, Widget, create_ticket_by_api
from playwright.sync_api import expect

PHONE = "۰۲۱-۹۱۰۰۰۱۰۰"
ASK_FOR_A_PERSON = "میخوام با اپراتور حرف بزنم"
WAITING = "درخواست شما برای گفتگو با کارشناس ثبت شد"
JOINED = "یکی از کارشناسان پشتیبانی به گفتگو پیوست"
CLOSED = "گفتگو با کارشناس به پایان رسید"


def test_operator_claims_replies_and_closes(server, new_page, artifacts) -> None:
    ticket_code = create_ticket_by_api(server, "web-earlier", "کالای سفارشم هنوز نرسیده")
    operator_page, operator_problems = new_page(width=1440, height=900)
    console = Console(operator_page, server.url).login(OPERATOR_TOKENS["sara"])
    expect(operator_page.get_by_text("هیچ گفتگویی منتظر کارشناس نیست")).to_be_visible()
    expect(console.ticket(ticket_code)).to_contain_text("کالای سفارشم هنوز نرسیده")

    customer_page, customer_problems = new_page()
    widget = Widget(customer_page, server.url).visit().open()
    customer_page.evaluate("() => { window.notReloaded = true; }")
    replies = widget.say(ASK_FOR_A_PERSON)
    assert WAITING in replies[-1]
    expect(customer_page.get_by_text("در صف انتظار کارشناس")).to_be_visible()

    card = console.conversation(widget.sender_id)
    expect(card).to_contain_text("در انتظار", timeout=20_000)
    expect(card).to_contain_text("مشتری خواست با کارشناس صحبت کند")
    expect(card.get_by_role("list", name="متن گفتگو")).to_contain_text(ASK_FOR_A_PERSON)
    card.get_by_role("button", name="پذیرفتن گفتگو").click()
    expect(card).to_contain_text("در دست sara")
    expect(widget.support.last).to_contain_text(JOINED, timeout=20_000)

    reply = card.get_by_label("پاسخ به مشتری")
    expect(reply).to_be_focused()
    reply.fill("سلام، سارا هستم. شمارهٔ سفارشتان را بفرمایید.")
    reply.press("Enter")
    operator_line = widget.log.locator(".pg-operator").last
    expect(operator_line).to_contain_text("سارا هستم", timeout=20_000)
    expect(operator_line).to_contain_text("کارشناس پشتیبانی")
    assert customer_page.evaluate("() => window.notReloaded") is True
    expect(customer_page.get_by_text("در حال گفتگو با کارشناس")).to_be_visible()

    # the customer answers; the bot stays quiet and the operator reads it live
    assert widget.say("سفارش ۱۲۳۴۵۶۷") == []
    expect(card.get_by_role("list", name="متن گفتگو")).to_contain_text("سفارش ۱۲۳۴۵۶۷")
    customer_page.screenshot(path=artifacts / "widget-with-operator.png")
    operator_page.screenshot(path=artifacts / "console.png", full_page=True)

    card.get_by_role("button", name="پایان گفتگو").click()
    expect(card).to_have_count(0)
    expect(widget.support.last).to_contain_text(CLOSED, timeout=20_000)
    replies = widget.say("شماره تلفن پشتیبانی چنده؟")
    assert PHONE in replies[-1]
    assert operator_problems.errors == [] and customer_problems.errors == []


def test_operator_reply_arrives_by_polling_when_the_socket_fails(server, new_page) -> None:
    token = OPERATOR_TOKENS["reza"]
    server.api("POST", "/v1/operator/presence", token=token)
    page, problems = new_page()
    page.route_web_socket(re.compile(r"/ws$"), lambda ws: ws.close())
    widget = Widget(page, server.url).visit().open()
    widget.say(ASK_FOR_A_PERSON)
    sender = widget.sender_id
    server.api("POST", f"/v1/operator/conversations/{sender}/claim", token=token)
    server.api("POST", f"/v1/operator/conversations/{sender}/messages", {"text": "رضا هستم"}, token)
    expect(widget.log.locator(".pg-operator")).to_contain_text("رضا هستم", timeout=20_000)
    expect(widget.support.filter(has_text=JOINED)).to_have_count(1)  # drawn once
    assert problems.errors == []


def test_live_events_come_over_the_websockets(server, new_page) -> None:
    operator_page, _ = new_page()
    Console(operator_page, server.url).login(OPERATOR_TOKENS["sara"])
    live = operator_page.get_by_text("به‌روزرسانی زنده فعال است")
    expect(live).to_be_visible(timeout=5_000)

    page, _ = new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    widget = Widget(page, server.url).visit().open()
    widget.say(ASK_FOR_A_PERSON)
    token = OPERATOR_TOKENS["sara"]
    sender = widget.sender_id
    server.api("POST", f"/v1/operator/conversations/{sender}/claim", token=token)
    server.api("POST", f"/v1/operator/conversations/{sender}/messages", {"text": "زنده"}, token)
    expect(widget.log.locator(".pg-operator")).to_contain_text("زنده")
    assert any("زنده" in frame for frame in frames), frames


def test_console_moves_a_ticket_along_and_answers_it(server, new_page) -> None:
    code = create_ticket_by_api(server, "web-ticket", "پول از حسابم کم شده")
    page, problems = new_page(width=1280, height=900)
    console = Console(page, server.url).login(OPERATOR_TOKENS["sara"])
    ticket = console.ticket(code)
    expect(ticket).to_contain_text("باز")
    expect(ticket).to_contain_text("maryam@example.com")

    ticket.get_by_role("button", name="شروع بررسی").click()
    expect(ticket.locator(".badge")).to_have_text("در حال بررسی")
    ticket.get_by_label("پاسخ به تیکت").fill("مبلغ تا ۷۲ ساعت به حسابتان برمی‌گردد.")
    ticket.get_by_role("button", name="ارسال پاسخ").click()
    expect(ticket.locator(".badge")).to_have_text("پاسخ داده شده")
    expect(page.get_by_role("alert")).to_contain_text(f"پاسخ تیکت {code} ثبت شد")

    # the customer reads the answer on their ticket
    seen = server.api("GET", f"/v1/tickets/{code}?contact=maryam@example.com")
    assert seen["status"] == "answered"
    assert "۷۲ ساعت" in seen["history"][-1]["note"]

    page.get_by_label("وضعیت", exact=True).select_option("answered")
    expect(console.tickets.get_by_role("article")).to_have_count(1)
    page.get_by_label("وضعیت", exact=True).select_option("open")
    expect(page.get_by_text("تیکتی با این وضعیت نیست")).to_be_visible()
    assert problems.errors == []


def test_a_wrong_token_is_refused(server, new_page) -> None:
    page, _ = new_page()
    page.goto(server.url + "/console")
    page.get_by_label("توکن اپراتور").fill("not-a-token")
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_text("این توکن معتبر نیست")).to_be_visible()
    expect(page.locator("#desk")).to_be_hidden()
    assert page.evaluate("() => sessionStorage.length") == 0
