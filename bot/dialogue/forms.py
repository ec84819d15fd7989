"""The ticket and return forms: slots, how each is read from a message, Persian prompts.

Rasa-style slot filling: a form asks for its first empty slot, reads the answer, and on
an invalid one asks again with a hint. Reading a slot is pure: it looks at the message
text, its parse and the attachments that came with it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Button
from bot.entities import extract_entities, is_valid_email
from bot.nlu import Parse
from bot.text import normalize

__all__ = [
    "FORMS",
    "REASONS",
    "RETURN_FORM",
    "TICKET_FORM",
    "TOPICS",
    "Form",
    "Slot",
    "SlotAnswer",
    "is_cancel",
]

TOPICS = {
    "order": "سفارش",
    "return": "مرجوعی کالا",
    "payment": "پرداخت",
    "account": "حساب کاربری",
    "after_sales": "خدمات پس از فروش",
    "sellers": "فروشندگان",
    "other": "سایر موضوعات",
}
REASONS = {
    "defective": "کالا معیوب یا آسیب‌دیده است",
    "wrong_item": "کالای اشتباه ارسال شده",
    "changed_mind": "از خرید منصرف شده‌ام",
    "other": "دلیل دیگر",
}
# words a customer may type instead of pressing a button (matched on normalised text)
_TOPIC_WORDS = {
    "order": ["سفارش", "order", "ارسال", "تحویل"],
    "return": ["مرجوع", "پس دادن", "پس بدم", "return", "marjoo"],
    "payment": ["پرداخت", "پول", "واریز", "درگاه", "payment", "pardakht"],
    "account": ["حساب", "ورود", "ثبت نام", "رمز", "account", "login"],
    "after_sales": ["پس از فروش", "گارانتی", "تعمیر", "after sales"],
    "sellers": ["فروشنده", "seller"],
    "other": ["سایر", "دیگر", "غیره", "other"],
}
_REASON_WORDS = {
    "defective": ["معیوب", "خراب", "ایراد", "شکسته", "سالم نیست", "کار نمیکنه", "defect"],
    "wrong_item": ["اشتباه", "غلط", "فرق", "یکی دیگه", "wrong"],
    "changed_mind": ["منصرف", "پشیمون", "پشیمان", "نمیخوامش", "changed my mind"],
    "other": ["دلیل دیگر", "سایر", "دیگه", "other"],
}
_CANCEL_WORDS = {"انصراف", "لغو", "کنسل", "بیخیال", "بیخیالش", "cancel", "enseraf", "laghv"}
_SKIP_WORDS = {"ندارم", "نه", "خیر", "skip", "رد", "بعدا", "نمیدونم", "بدون پیوست", "nadaram"}
_YES_WORDS = {
    "بله",
    "اره",
    "اری",
    "بلی",
    "تایید",
    "تایید میکنم",
    "درسته",
    "اوکی",
    "ok",
    "yes",
    "bale",
    "are",
    "ere",
}
_NO_WORDS = {"نه", "خیر", "نخیر", "no", "na"}
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'\-][^\W\d_]+){0,5}$")

SKIP = Button("ندارم / رد شدن", "/skip")


@functools.cache
def _normalized(words: frozenset[str]) -> frozenset[str]:
    """Word lists in the normaliser's form, computed once (hazm loads on first use)."""
    return frozenset(normalize(w) for w in words)


def _says(text: str, words: set[str]) -> bool:
    return normalize(text) in _normalized(frozenset(words))


@dataclass(frozen=True, slots=True)
class SlotAnswer:
    """What a message gives a slot: a value, a deliberate skip, or nothing usable."""

    value: Any = None
    skipped: bool = False

    @property
    def valid(self) -> bool:
        return self.value is not None or self.skipped


INVALID = SlotAnswer()


def is_cancel(text: str, parse: Parse) -> bool:
    if parse.intent.name == "cancel" and parse.understood:
        return True
    return _says(text, _CANCEL_WORDS)


def _choice(words: Mapping[str, list[str]], slot: str) -> Callable[..., SlotAnswer]:
    def read(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
        for entity in parse.entities:
            if entity.entity == slot and entity.value in words:
                return SlotAnswer(entity.value)
        norm = normalize(text)
        if not norm:
            return INVALID
        for key, options in words.items():
            if any(option in norm for option in _normalized(frozenset(options))):
                return SlotAnswer(key)
        return INVALID

    return read


def _entity(name: str, *, skippable: bool) -> Callable[..., SlotAnswer]:
    def read(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
        if skippable and (parse.intent.name == "skip" or _says(text, _SKIP_WORDS)):
            return SlotAnswer(skipped=True)
        for entity in extract_entities(text):
            if entity.entity == name:
                return SlotAnswer(entity.value)
        return INVALID

    return read


def _email(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
    for entity in extract_entities(text):
        if entity.entity == "email":
            return SlotAnswer(entity.value)
    stripped = text.strip().lower()
    return SlotAnswer(stripped) if is_valid_email(stripped) else INVALID


def _name(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
    name = " ".join(text.split())
    if 2 <= len(name) <= 60 and _NAME.match(name):
        return SlotAnswer(name)
    return INVALID


def _message(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
    body = text.strip()
    return SlotAnswer(body) if len(normalize(body)) >= 3 else INVALID


def _attachment(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
    if attachments:
        return SlotAnswer(list(attachments))
    if parse.intent.name in ("skip", "deny") or _says(text, _SKIP_WORDS):
        return SlotAnswer(skipped=True)
    return INVALID


def _confirm(text: str, parse: Parse, attachments: tuple[str, ...]) -> SlotAnswer:
    if (parse.intent.name == "affirm" and parse.understood) or _says(text, _YES_WORDS):
        return SlotAnswer(True)
    if (parse.intent.name == "deny" and parse.understood) or _says(text, _NO_WORDS):
        return SlotAnswer(False)
    return INVALID


CONFIRM_BUTTONS = (Button("تأیید و ثبت", "/affirm"), Button("انصراف", "/deny"))


@dataclass(frozen=True)
class Slot:
    name: str
    prompt: str | Callable[[dict], str]
    hint: str
    read: Callable[[str, Parse, tuple[str, ...]], SlotAnswer]
    buttons: tuple[Button, ...] = ()
    optional: bool = False
    # free text is taken as it is: a question typed here is the customer's message
    free_text: bool = False

    def ask(self, slots: dict) -> str:
        return self.prompt(slots) if callable(self.prompt) else self.prompt


def _shown(value: Any, labels: Mapping[str, str] | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return f"{len(value)} فایل"
    return labels.get(value, str(value)) if labels else str(value)


def _ticket_summary(slots: dict) -> str:
    lines = [
        "لطفاً اطلاعات تیکت را بررسی و تأیید کنید:",
        f"موضوع: {_shown(slots.get('topic'), TOPICS)}",
        f"نام: {_shown(slots.get('name'))}",
        f"ایمیل: {_shown(slots.get('email'))}",
        f"تلفن: {_shown(slots.get('phone'))}",
        f"شماره سفارش: {_shown(slots.get('order_number'))}",
        f"پیوست: {_shown(slots.get('attachment'))}",
        f"متن پیام: {_shown(slots.get('message'))}",
    ]
    return "\n".join(lines)


def _return_summary(slots: dict) -> str:
    return "\n".join(
        [
            "درخواست مرجوعی را تأیید می‌کنید؟",
            f"شماره سفارش: {_shown(slots.get('order_number'))}",
            f"دلیل: {_shown(slots.get('reason'), REASONS)}",
        ]
    )


@dataclass(frozen=True)
class Form:
    name: str
    slots: tuple[Slot, ...]
    start_text: str
    prefill: tuple[str, ...] = field(default=())  # slots taken from the opening message

    def slot(self, name: str) -> Slot:
        return next(s for s in self.slots if s.name == name)

    def next_slot(self, filled: dict) -> Slot | None:
        return next((s for s in self.slots if s.name not in filled), None)


TICKET_FORM = Form(
    name="ticket_form",
    start_text="برای ثبت تیکت چند سؤال کوتاه می‌پرسم. " + "(برای لغو، «انصراف» را بفرستید.)",
    prefill=("email", "phone", "order_number"),
    slots=(
        Slot(
            "topic",
            "موضوع درخواستتان کدام است؟",
            "لطفاً یکی از موضوع‌ها را انتخاب کنید.",
            _choice(_TOPIC_WORDS, "topic"),
            tuple(Button(t, f'/inform{{"topic": "{k}"}}') for k, t in TOPICS.items()),
        ),
        Slot(
            "name",
            "نام و نام خانوادگی‌تان را بنویسید.",
            "نام باید فقط از حروف باشد (بدون عدد)، مثلاً «مریم احمدی».",
            _name,
        ),
        Slot(
            "email",
            "ایمیلتان را بنویسید.",
            "این ایمیل معتبر نیست. لطفاً به شکل name@example.com بنویسید.",
            _email,
        ),
        Slot(
            "phone",
            "شماره تلفن همراه یا ثابتتان را بنویسید.",
            "این شماره معتبر نیست. شماره همراه را مثل ۰۹۱۲۱۲۳۴۵۶۷ و شماره ثابت را با "
            "پیش‌شماره، مثل ۰۲۱۱۲۳۴۵۶۷۸ بنویسید.",
            _entity("phone", skippable=False),
        ),
        Slot(
            "order_number",
            "اگر درخواستتان به سفارشی مربوط است، شماره سفارش را بنویسید؛ وگرنه «ندارم» را بزنید.",
            "شماره سفارش ۶ تا ۱۲ رقم است (مثل ۱۲۳۴۵۶۷). اگر ندارید «ندارم» را بزنید.",
            _entity("order_number", skippable=True),
            (SKIP,),
            optional=True,
        ),
        Slot(
            "message",
            "متن پیامتان را بنویسید.",
            "متن پیام خیلی کوتاه است؛ لطفاً کمی توضیح دهید.",
            _message,
            free_text=True,
        ),
        Slot(
            "attachment",
            "اگر عکس یا ویدئویی دارید که به توضیح کمک می‌کند، بفرستید؛ وگرنه «بدون پیوست» را بزنید.",
            "لطفاً عکس یا ویدئو بفرستید، یا «بدون پیوست» را بزنید.",
            _attachment,
            (Button("بدون پیوست", "/skip"),),
            optional=True,
        ),
        Slot(
            "confirm",
            _ticket_summary,
            "لطفاً «تأیید» یا «انصراف» را بزنید.",
            _confirm,
            CONFIRM_BUTTONS,
        ),
    ),
)

RETURN_FORM = Form(
    name="return_form",
    start_text="درخواست مرجوعی را همین‌جا ثبت می‌کنم. (برای لغو، «انصراف» را بفرستید.)",
    prefill=("order_number",),
    slots=(
        Slot(
            "order_number",
            "شماره سفارشی که می‌خواهید مرجوع کنید چیست؟ (همان که پیامک شده)",
            "شماره سفارش ۶ تا ۱۲ رقم است، مثل ۱۲۳۴۵۶۷. لطفاً دوباره بنویسید.",
            _entity("order_number", skippable=False),
        ),
        Slot(
            "reason",
            "دلیل مرجوع کردن کالا چیست؟",
            "لطفاً یکی از دلیل‌ها را انتخاب کنید.",
            _choice(_REASON_WORDS, "reason"),
            tuple(Button(t, f'/inform{{"reason": "{k}"}}') for k, t in REASONS.items()),
        ),
        Slot(
            "confirm",
            _return_summary,
            "لطفاً «تأیید» یا «انصراف» را بزنید.",
            _confirm,
            CONFIRM_BUTTONS,
        ),
    ),
)

FORMS = {form.name: form for form in (TICKET_FORM, RETURN_FORM)}
