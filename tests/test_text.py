"""The one normaliser: a table of real messy Persian, then properties for any string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import MAX_CHARS, fingerprint, fold_digits, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("می‌خواهم", "میخواهم"),  # ZWNJ (half-space) form
        ("میخواهم", "میخواهم"),  # no half-space
        ("می خواهم", "میخواهم"),  # a full space after the mi- prefix
        ("کتاب‌ها کتابها کتاب ها", "کتابها کتابها کتابها"),  # plural suffix, three spellings
        ("اين كتاب", "این کتاب"),  # Arabic ي and ك
        ("مرجوعي كالا", "مرجوعی کالا"),  # Arabic letters inside support words
        ("ة ۀ أ إ", "ه ه ا ا"),  # other Arabic look-alikes
        ("آدرس", "ادرس"),  # madda folded: phone keyboards often drop it
        ("سفارش ۱۲۳۴۵۶۷", "سفارش 1234567"),  # Persian digits → ASCII
        ("سفارش ١٢٣٤٥٦٧", "سفارش 1234567"),  # Arabic-Indic digits → ASCII
        ("سفارش 1234567", "سفارش 1234567"),  # Latin digits stay
        ("سلاااااام", "سلام"),  # repeated letters
        ("ممنونننننن", "ممنون"),  # repeated final letter
        ("ســـلام", "سلام"),  # kashida (tatweel)
        ("بِسْمِ", "بسم"),  # diacritics (harakat)
        ("\u200fسلام\u202b\u200b", "سلام"),  # bidi controls and zero-width space
        ("سلام!!! 😀🙏 چطوری؟؟", "سلام چطوری"),  # punctuation noise and emoji
        ("SaLaaaaM Digikala", "salam digikala"),  # Latin lower-cased, repeats folded
        ("shomare telephone poshtibani chande?", "shomare telephone poshtibani chande"),  # Finglish
        ("  \n\t ", ""),  # only whitespace
        ("", ""),  # empty
        ("﷽", ""),  # an 18-letter ligature is dropped, not expanded
        ("ﻻ", "لا"),  # Arabic presentation form folded to its letters
    ],
)
def test_normalize_table(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "variants",
    [
        ["میخوام سفارشمو پس بدم", "مي‌خوام سفارشمو پس بدم", "می خوام سفارشمو پس بدم"],
        ["شماره تلفن پشتیبانی", "شماره‌ تلفن  پشتيباني", "شمارهٔ تلفن پشتیبانی"],
    ],
)
def test_spellings_of_one_message_meet(variants: list[str]) -> None:
    assert len({normalize(v) for v in variants}) == 1


def test_fold_digits_keeps_offsets() -> None:
    text = "سفارش ۱۲۳٤٥ و 678"
    folded = fold_digits(text)
    assert folded == "سفارش 12345 و 678"
    assert len(folded) == len(text)


def test_fingerprint_is_stable_and_short() -> None:
    assert fingerprint() == fingerprint()
    assert len(fingerprint()) == 16


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_idempotent_and_bounded(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert len(once) <= 3 * min(len(text), MAX_CHARS)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("سلامکیيكۀة‌ ۱۲3ـَُ!؟😀abcAB")), max_size=80))
def test_persian_alphabet_soup_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_very_long_input_is_cut() -> None:
    assert len(normalize("سلام " * 50_000)) <= MAX_CHARS
