"""Entities: values in ASCII, offsets into the customer's original text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.entities import (
    TRACKING_ALPHABET,
    extract_entities,
    is_valid_email,
    new_tracking_code,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "سفارش ۱۲۳۴۵۶۷ رو میخوام پس بدم",
            [("order_number", "1234567", "۱۲۳۴۵۶۷")],
        ),  # Persian digits
        ("سفارش ١٢٣٤٥٦٧٨", [("order_number", "12345678", "١٢٣٤٥٦٧٨")]),  # Arabic-Indic digits
        (
            "order 987654321012 please",
            [("order_number", "987654321012", "987654321012")],
        ),  # 12 digits
        ("کد ۱۲۳۴۵ کوتاهه", []),  # five digits: not an order number
        ("1234567890123", []),  # thirteen digits: not an order number either
        ("سفارش۱۲۳۴۵۶۷رو", [("order_number", "1234567", "۱۲۳۴۵۶۷")]),  # glued to letters
        ("شمارم ۰۹۱۲ ۱۲۳ ۴۵۶۷ هست", [("phone", "09121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷")]),  # spaced mobile
        ("+98 912-123-4567", [("phone", "09121234567", "+98 912-123-4567")]),  # international
        ("00989121234567", [("phone", "09121234567", "00989121234567")]),  # 0098 prefix
        ("تلفن ۰۲۱-۶۱۹۳۰۶۰۰", [("phone", "02161930600", "۰۲۱-۶۱۹۳۰۶۰۰")]),  # Tehran landline
        ("۹۱۰۰۰۱۰۰ – ۰۲۱", [("phone", "02191000100", "۹۱۰۰۰۱۰۰ – ۰۲۱")]),  # RTL order, en dash
        ("ایمیلم Ali.R@Example.com است", [("email", "ali.r@example.com", "Ali.R@Example.com")]),
        ("کد پیگیری pg-7k3q9p", [("tracking_code", "PG-7K3Q9P", "pg-7k3q9p")]),  # lower case
        ("PG7K3Q9P", [("tracking_code", "PG-7K3Q9P", "PG7K3Q9P")]),  # dash left out
        (
            "سفارش 1234567 و شماره 09121234567 و a@b.co",
            [
                ("order_number", "1234567", "1234567"),
                ("phone", "09121234567", "09121234567"),
                ("email", "a@b.co", "a@b.co"),
            ],
        ),  # several in one message, in order
        ("", []),  # empty message
    ],
)
def test_extract(text: str, expected: list[tuple[str, str, str]]) -> None:
    got = [(e.entity, e.value, text[e.start : e.end]) for e in extract_entities(text)]
    assert got == expected


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("0912 123 4567", "09121234567"),
        ("+989121234567", "09121234567"),
        ("61930600 - 021", "02161930600"),
        ("۰۲۱۹۱۰۰۰۱۰۰", "02191000100"),
    ],
)
def test_normalize_phone(raw: str, phone: str) -> None:
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("ali@example.com", True),
        (" ali@example.com ", True),
        ("ali@", False),
        ("علی@example.com", False),
        ("ali@example", False),
        ("", False),
    ],
)
def test_email_validation(text: str, valid: bool) -> None:
    assert is_valid_email(text) is valid


def test_tracking_codes_are_short_unambiguous_and_extractable() -> None:
    codes = {new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert code.startswith("PG-") and len(code) == 9
        assert set(code[3:]) <= set(TRACKING_ALPHABET)
        assert [e.value for e in extract_entities(f"کد من {code} است")] == [code]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789۰۱۲۳۴۵۶۷۸۹ -+@.abپگ")), max_size=60))
def test_spans_are_ordered_disjoint_and_in_the_text(text: str) -> None:
    entities = extract_entities(text)
    for entity in entities:
        assert 0 <= entity.start < entity.end <= len(text)
        assert entity.value.isascii()
    for first, second in itertools.pairwise(entities):
        assert first.end <= second.start


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    extract_entities(text)


def test_other_scripts_digits_are_not_order_numbers() -> None:
    assert extract_entities("१२३४५६७") == []  # Devanagari digits: \d would match them
