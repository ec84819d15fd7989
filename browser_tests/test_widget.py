"""A customer on the demo shop page: asks, clicks, fills the ticket form, reloads, uses
the keyboard, and does it all again on a phone-sized screen."""

from __future__ import annotations

import re
import struct
import zlib

from drivers import OPERATOR_TOKENS, Widget
from playwright.sync_api import expect

PHONE = "۰۲۱-۹۱۰۰۰۱۰۰"
TRACKING_CODE = re.compile(r"PG-[0-9A-Z]{6}")


def test_faq_question_is_answered_in_persian_right_to_left(server, new_page, artifacts) -> None:
    page, problems = new_page()
    widget = Widget(page, server.url).visit().open()
    expect(widget.panel).to_have_attribute("role", "dialog")
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.log).to_have_attribute("aria-live", "polite")

    # hold the answer back to see the typing indicator while the customer waits
    held = []
    page.route("**/v1/chat", lambda route: held.append(route))
    widget.input.fill("شماره تلفن پشتیبانی چنده؟")
    widget.input.press("Enter")
    expect(widget.typing).to_be_visible()
    expect(widget.mine.last).to_have_text(re.compile("شماره تلفن پشتیبانی چنده؟"))
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    expect(widget.typing).to_be_visible()
    held[0].continue_()
    page.unroute("**/v1/chat")

    expect(widget.last_reply()).to_contain_text(PHONE)
    expect(widget.typing).to_be_hidden()

    direction = widget.panel.evaluate("node => getComputedStyle(node).direction")
    assert direction == "rtl"
    fonts = page.evaluate(
        "async () => { await document.fonts.ready;"
        " return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family); }"
    )
    assert any("Vazirmatn" in family for family in fonts), fonts
    widget.say("asdkjh qwpoi zmxn")  # the fallback offers buttons: they show in the picture
    page.screenshot(path=artifacts / "widget.png")
    assert problems.errors == []


def _tiny_png() -> bytes:
    """A valid 1×1 PNG, made here rather than shipped."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x0e\x74\x90")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _fill_ticket_form_up_to_attachment(widget: Widget) -> None:
    replies = widget.say("asdkjh qwpoi zmxn")
    assert "ثبت تیکت" in replies[-1]
    replies = widget.choose("ثبت تیکت")  # the fallback's suggestion button
    assert "موضوع" in replies[-1]
    expect(widget.mine.last).not_to_contain_text("/create_ticket")
    widget.choose("پرداخت")
    widget.say("مریم احمدی")
    widget.say("maryam@example.com")
    widget.say("۰۹۱۲۱۲۳۴۵۶۷")
    widget.choose("ندارم / رد شدن")
    expect(widget.file_input).to_be_hidden()
    replies = widget.say("پول از حسابم کم شده ولی سفارش ثبت نشده")
    assert "پیوست" in replies[-1]
    expect(widget.file_input).to_be_attached()
    expect(widget.page.locator(".pg-attach")).to_be_visible()


def test_ticket_form_with_buttons_ends_in_a_tracking_code(server, new_page) -> None:
    page, problems = new_page()
    widget = Widget(page, server.url).visit().open()
    _fill_ticket_form_up_to_attachment(widget)
    replies = widget.choose("بدون پیوست")
    assert "پرداخت" in replies[-1] and "maryam@example.com" in replies[-1]
    expect(page.locator(".pg-attach")).to_be_hidden()
    replies = widget.choose("تأیید و ثبت")
    assert TRACKING_CODE.search(replies[-1]), replies
    # the buttons of answered questions can no longer be pressed
    expect(widget.log.get_by_role("button", name="پرداخت")).to_be_disabled()
    assert problems.errors == []


def test_ticket_form_takes_a_photo_from_the_file_input(server, new_page, tmp_path) -> None:
    page, problems = new_page()
    widget = Widget(page, server.url).visit().open()
    _fill_ticket_form_up_to_attachment(widget)
    photo = tmp_path / "receipt.png"
    photo.write_bytes(_tiny_png())
    before = widget.support.count()
    widget.file_input.set_input_files(photo)
    expect(widget.mine.last).to_contain_text("receipt.png")
    expect(widget.support).to_have_count(before + 1)
    expect(widget.last_reply()).to_contain_text("پیوست: 1 فایل")
    replies = widget.choose("تأیید و ثبت")
    code = TRACKING_CODE.search(replies[-1])
    assert code, replies
    ticket = server.api("GET", f"/v1/staff/tickets/{code[0]}", token=OPERATOR_TOKENS["sara"])
    assert [a["kind"] for a in ticket["attachments"]] == ["photo"]
    assert problems.errors == []


def test_conversation_survives_a_reload(server, new_page) -> None:
    page, problems = new_page()
    widget = Widget(page, server.url).visit().open()
    widget.say("شماره تلفن پشتیبانی چنده؟")
    widget.say("asdkjh qwpoi zmxn")
    widget.choose("ثبت تیکت")
    sender = widget.sender_id

    page.reload()
    widget = Widget(page, server.url)
    expect(widget.panel).to_be_visible()  # it was open: it opens again
    expect(widget.mine).to_have_count(3)
    # a clicked button is redrawn with its title, not its payload
    expect(widget.mine).to_have_text(
        [re.compile("شماره تلفن"), re.compile("asdkjh"), re.compile("ثبت تیکت")]
    )
    expect(widget.mine.last).not_to_contain_text("/create_ticket")
    expect(widget.support.filter(has_text=PHONE)).to_have_count(1)
    expect(widget.log.get_by_role("button", name="پرداخت", disabled=False)).to_be_visible()
    assert widget.sender_id == sender
    # and it goes on where it was: the form still asks for the topic
    widget.choose("سفارش")
    expect(widget.last_reply()).to_contain_text("نام")
    assert problems.errors == []


def test_keyboard_only(server, new_page) -> None:
    page, problems = new_page()
    widget = Widget(page, server.url).visit()
    for _ in range(30):
        page.keyboard.press("Tab")
        if widget.launcher.evaluate("node => node.getRootNode().activeElement === node"):
            break
    else:
        raise AssertionError("Tab never reaches the chat launcher")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.input).to_be_focused()

    page.keyboard.type("شماره تلفن پشتیبانی چنده؟")
    page.keyboard.press("Enter")
    expect(widget.last_reply()).to_contain_text(PHONE)
    expect(widget.input).to_be_focused()

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    assert widget.launcher.evaluate("node => node.getRootNode().activeElement === node")
    assert problems.errors == []


def test_phone_screen_has_no_horizontal_scroll(server, new_page, artifacts) -> None:
    page, problems = new_page(width=375, height=667, is_mobile=True, has_touch=True)
    widget = Widget(page, server.url).visit()

    def overflow() -> int:
        return page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    assert overflow() <= 0
    page.screenshot(path=artifacts / "shop-phone.png")
    widget.open()
    widget.say("شماره تلفن پشتیبانی چنده؟")
    widget.say("<script>alert('a long line with no break at all')</script>" * 2)
    assert overflow() <= 0
    box = widget.panel.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    for locator in (widget.input, page.get_by_role("button", name="ارسال پیام")):
        inside = locator.bounding_box()
        assert inside is not None and inside["x"] >= 0 and inside["x"] + inside["width"] <= 375
    widths = widget.log.locator(".pg-msg").evaluate_all(
        "nodes => nodes.map(n => n.scrollWidth - n.clientWidth)"
    )
    assert max(widths) <= 0, widths
    page.screenshot(path=artifacts / "widget-phone.png")
    assert problems.errors == []
