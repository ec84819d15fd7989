"""What a customer and an operator do with the pages, in their words: the tests read
as the steps a person takes. Locators go by role and accessible name, as a screen
reader would find things (Playwright's locators reach into the widget's shadow root)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

__all__ = ["ADMIN_TOKEN", "OPERATOR_TOKENS", "Console", "Widget", "create_ticket_by_api"]

OPERATOR_TOKENS = {"sara": "sara-browser-token", "reza": "reza-browser-token"}
ADMIN_TOKEN = "admin-browser-token"


class Widget:
    """The chat widget on the demo shop page."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.launcher = page.get_by_role("button", name="گفتگو با پشتیبانی")
        self.panel = page.get_by_role("dialog", name="پشتیبانی فروشگاه")
        self.log = page.get_by_role("log", name="پیام‌های گفتگو")
        self.input = page.get_by_role("textbox", name="پیام شما")
        self.file_input = page.get_by_label("پیوست عکس یا ویدئو")
        self.typing = page.locator(".pg-typing")
        self.support = self.log.locator(".pg-bot, .pg-operator")  # what the customer reads
        self.mine = self.log.locator(".pg-customer")

    def visit(self) -> Widget:
        self.page.goto(self.base_url + "/widget")
        expect(self.launcher).to_be_visible()
        return self

    def open(self) -> Widget:
        self.launcher.click()
        expect(self.input).to_be_focused()
        return self

    def _wait_for_turn(self) -> None:
        # a sent bubble gets the transcript's id once the server has answered
        expect(self.mine.last).to_have_attribute("data-id", re.compile(r"^\d+$"))
        expect(self.typing).to_be_hidden()

    def say(self, text: str) -> list[str]:
        """Type a message, press Enter, and return what support said back."""
        before = self.support.count()
        self.input.fill(text)
        self.input.press("Enter")
        self._wait_for_turn()
        return self.support.all_inner_texts()[before:]

    def choose(self, title: str) -> list[str]:
        """Click one of the suggestion or form buttons offered last."""
        before = self.support.count()
        self.log.get_by_role("button", name=title, exact=True, disabled=False).click()
        self._wait_for_turn()
        expect(self.mine.last).to_contain_text(title)
        return self.support.all_inner_texts()[before:]

    def last_reply(self) -> Locator:
        return self.support.last

    @property
    def sender_id(self) -> str:
        stored = self.page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('pasokhgoo:'))"
            ".map(k => JSON.parse(localStorage.getItem(k)).senderId)[0]"
        )
        assert stored, "the widget keeps no sender id in localStorage"
        return stored


class Console:
    """The operator console."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.queue = page.locator("#queue")
        self.tickets = page.locator("#tickets")

    def login(self, token: str) -> Console:
        self.page.goto(self.base_url + "/console")
        self.page.get_by_label("توکن اپراتور").fill(token)
        self.page.get_by_role("button", name="ورود").click()
        expect(self.page.get_by_role("heading", name=re.compile("صف گفتگوها"))).to_be_visible()
        return self

    def conversation(self, sender_id: str) -> Locator:
        return self.page.get_by_role("article", name=sender_id)

    def ticket(self, code: str) -> Locator:
        return self.page.get_by_role("article", name=code)


def create_ticket_by_api(server, sender_id: str, message: str) -> str:
    """A customer's ticket made through the chat API (to give the console something)."""
    steps = [
        "میخوام تیکت ثبت کنم",
        '/inform{"topic": "order"}',
        "مریم احمدی",
        "maryam@example.com",
        "09121234567",
        "/skip",
        message,
        "/skip",
        "/affirm",
    ]
    body: dict = {}
    for text in steps:
        body = server.api("POST", "/v1/chat", {"sender_id": sender_id, "text": text})
    assert body["ticket"], body
    return body["ticket"]["tracking_code"]
