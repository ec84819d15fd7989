"""Entities in customer text: order numbers, phones, emails and ticket tracking codes.

Extraction runs on `fold_digits(text)`, which maps each Persian or Arabic digit to one
ASCII digit, so every `start`/`end` is an offset into the customer's original text while
every value is plain ASCII (`۱۲۳۴۵۶۷` → `"1234567"`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass

from bot.text import fold_digits

__all__ = [
    "TRACKING_ALPHABET",
    "Entity",
    "extract_entities",
    "is_valid_email",
    "mask_contacts",
    "new_tracking_code",
    "normalize_phone",
]

# Tracking codes look like PG-7K3Q9P: no 0/O, 1/I/L, so they survive being read aloud.
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_TRACKING = re.compile(rf"(?<![A-Za-z0-9])PG-?([{TRACKING_ALPHABET}]{{6}})(?![A-Za-z0-9])", re.I)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9])"
)
# Iranian mobiles: 09xx xxx xxxx, +98 9xx…, 0098 9xx…, with optional spaces or dashes.
_MOBILE = re.compile(r"(?<![0-9+])(?:\+98|0098|0)[ -]?9[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{4}(?![0-9])")
# Landlines: area code (0 + two digits) and an eight-digit number, or the number first
# and the code after a dash, as Persian text often writes it: ۹۱۰۰۰۱۰۰ – ۰۲۱.
_LANDLINE = re.compile(
    r"(?<![0-9])0[1-8][0-9][ -]?[0-9]{8}(?![0-9])|(?<![0-9])[0-9]{8} ?[-–] ?0[1-8][0-9](?![0-9])"
)
_ORDER_NUMBER = re.compile(r"(?<![0-9])[0-9]{6,12}(?![0-9])")
_EMAIL_FULL = re.compile(rf"^{_EMAIL.pattern}$")


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity: its type, canonical value and where it stands in the original text."""

    entity: str
    value: str
    start: int
    end: int

    def to_dict(self) -> dict[str, str | int]:
        return asdict(self)


def normalize_phone(raw: str) -> str:
    """Digits only, mobiles in the domestic 09… form: '+98 912-123-4567' → '09121234567'."""
    digits = re.sub(r"\D", "", fold_digits(raw))
    if digits.startswith("0098"):
        digits = "0" + digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif "-" in raw or "–" in raw:
        # number first, area code last (RTL writing): put the area code back in front
        parts = re.split(r"\s*[-–]\s*", fold_digits(raw).strip())
        if len(parts) == 2 and len(parts[1]) == 3 and parts[1].startswith("0"):
            digits = parts[1] + parts[0]
    return digits


def is_valid_email(text: str) -> bool:
    return bool(_EMAIL_FULL.match(text.strip()))


def new_tracking_code() -> str:
    return "PG-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))


def extract_entities(text: str) -> list[Entity]:
    """All entities in `text`, in order of position; spans never overlap."""
    folded = fold_digits(text)
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(name: str, value: str, match: re.Match[str]) -> None:
        start, end = match.span()
        if free(start, end):
            taken.append((start, end))
            found.append(Entity(name, value, start, end))

    for m in _EMAIL.finditer(folded):
        add("email", m.group().lower(), m)
    for m in _TRACKING.finditer(folded):
        add("tracking_code", "PG-" + m.group(1).upper(), m)
    for m in _MOBILE.finditer(folded):
        add("phone", normalize_phone(m.group()), m)
    for m in _LANDLINE.finditer(folded):
        add("phone", normalize_phone(m.group()), m)
    for m in _ORDER_NUMBER.finditer(folded):
        add("order_number", m.group(), m)
    return sorted(found, key=lambda e: e.start)


_MASKS = {"phone": "[phone]", "email": "[email]"}


def mask_contacts(text: str) -> str:
    """The text with phone numbers and emails replaced, for logs and analytics."""
    masked = text
    for entity in reversed(extract_entities(text)):
        if entity.entity in _MASKS:
            masked = masked[: entity.start] + _MASKS[entity.entity] + masked[entity.end :]
    return masked
