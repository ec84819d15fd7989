"""Server text is text: what a customer or an operator types is shown literally, in
the widget and on the console, and never runs."""

from __future__ import annotations

from drivers import OPERATOR_TOKENS, Console, Widget, create_ticket_by_api
from playwright.sync_api import expect

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


def test_markup_from_customer_and_operator_is_shown_as_text(server, new_page) -> None:
    operator_page, operator_problems = new_page()
    console = Console(operator_page, server.url).login(OPERATOR_TOKENS["sara"])

    page, problems = new_page()
    widget = Widget(page, server.url).visit().open()
    widget.say(SCRIPT)
    expect(widget.mine.last.locator(".pg-text")).to_have_text(SCRIPT)
    widget.say("میخوام با اپراتور حرف بزنم")

    card = console.conversation(widget.sender_id)
    transcript = card.get_by_role("list", name="متن گفتگو")
    expect(transcript.get_by_text(SCRIPT, exact=True)).to_be_visible(timeout=20_000)
    card.get_by_role("button", name="پذیرفتن گفتگو").click()
    card.get_by_label("پاسخ به مشتری").fill(IMAGE)
    card.get_by_role("button", name="ارسال پاسخ").click()

    operator_line = widget.log.locator(".pg-operator .pg-text").last
    expect(operator_line).to_have_text(IMAGE, timeout=20_000)
    expect(transcript.get_by_text(IMAGE, exact=True)).to_be_visible()

    for where in (page, operator_page):
        assert where.locator("#pasokhgoo-widget script, .pg-log img, #queue img").count() == 0
        assert where.locator("#queue script").count() == 0
    operator_page.wait_for_timeout(300)  # an onerror would have fired by now
    assert problems.dialogs == [] and operator_problems.dialogs == []
    assert problems.errors == [] and operator_problems.errors == []


def test_markup_in_a_ticket_is_shown_as_text_on_the_console(server, new_page) -> None:
    message = f"{IMAGE} سفارشم نرسیده {SCRIPT}"
    code = create_ticket_by_api(server, "xss-ticket", message)
    page, problems = new_page()
    console = Console(page, server.url).login(OPERATOR_TOKENS["sara"])

    expect(console.ticket(code)).to_contain_text(message)
    assert console.tickets.locator("img, script").count() == 0
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert problems.dialogs == [] and problems.errors == []
