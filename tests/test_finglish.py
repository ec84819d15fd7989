"""Finglish: tables of real chat spellings → Persian script, detection, and properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.finglish import looks_finglish, transliterate
from bot.finglish_lexicon import STEMS, WORDS
from bot.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("khoone", "خونه"),  # digraph kh, long u as oo, final e → ه
        ("zhest", "ژست"),  # digraph zh
        ("shir", "شیر"),  # digraph sh, long i inside a word
        ("chap", "چاپ"),  # digraph ch
        ("ghashang", "قشنگ"),  # digraph gh → ق, short a before two consonants
        ("ettefagh", "اتفاق"),  # doubled consonant (tashdid) written once
        ("peyda", "پیدا"),  # diphthong ey, final a written
        ("biyad", "بیاد"),  # glide y after i is not written twice
        ("omid", "امید"),  # word-initial o carried by alef
        ("ostad", "استاد"),  # word-initial o, long a before a final consonant
        ("angoor", "انگور"),  # word-initial a
        ("irani", "ایرانی"),  # word-initial i is ای
        ("ootoo", "اوتو"),  # word-initial and final oo: او ... و
        ("kise", "کیسه"),  # final -e is the silent ه
        ("khasteh", "خسته"),  # final -eh is the same ه
        ("mikhoram", "میخورم"),  # mi- prefix joined, no ZWNJ; personal ending -am
        ("nemishe", "نمیشه"),  # nemi- prefix with the one-letter colloquial stem sh
        ("mitoonid", "میتونید"),  # mi- prefix, stem spelled oo
        ("mitunid", "میتونید"),  # the same stem spelled u
        ("mikham", "میخوام"),  # silent و of the stem خوا
        ("nakardam", "نکردم"),  # negative na- prefix on a past stem
        ("bedinesh", "بدینش"),  # be- prefix, ending -in, object clitic -esh
        ("neveshtan", "نوشتن"),  # infinitive ending -tan is short: ن
        ("daghighan", "دقیقا"),  # adverb with tanvin: final alef
        ("jaaye", "جای"),  # ezafe -ye after a vowel is only ی
        ("khooneye", "خونه"),  # ezafe -ye after final e is not written
        ("baraadar", "برادر"),  # writer spells long a as aa, so lone a is short
        ("sefareshamo", "سفارشمو"),  # lexicon word + possessive -am + object -o
        ("kalaham", "کالاهام"),  # lexicon word + plural -ha + possessive -m
        ("kalamo", "کالامو"),  # clitics after a vowel drop their own vowel
        ("shomaram", "شمارهام"),  # clitic after a silent ه takes an alef
    ],
)
def test_spelling_rules(text: str, expected: str) -> None:
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("poshtibani", "پشتیبانی"),  # lexicon: support
        ("marjoo marju marjoo'", "مرجوع مرجوع مرجوع"),  # lexicon: silent ع, three spellings
        ("mamnoon mamnun mamnoun", "ممنون ممنون ممنون"),  # lexicon: spelling variants fold
        ("shomare shomareh", "شماره شماره"),  # lexicon: final -e and -eh
        ("telephone telefon tel", "تلفن تلفن تلفن"),  # lexicon: loanword spellings
        ("chetor chetori chejoori", "چطور چطوری چجوری"),  # lexicon: question words
        ("kojast kojas", "کجاست کجاس"),  # lexicon: formal and colloquial "is"
        ("kei key", "کی کی"),  # lexicon: "when"
        ("bale are na nakheir", "بله اره نه نخیر"),  # lexicon: yes and no
        ("online anlain", "انلاین انلاین"),  # lexicon: آ folded to ا as normalize does
        ("merci mersi khodahafez", "مرسی مرسی خداحافظ"),  # lexicon: politeness
        ("operator oprator adam ensan robot bot", "اپراتور اپراتور ادم انسان ربات ربات"),  # handoff
        ("code kod takhfif", "کد کد تخفیف"),  # lexicon: discount code
        ("digikala", "دیجیکالا"),  # lexicon: brand name
    ],
)
def test_lexicon_words(text: str, expected: str) -> None:
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mikham kalamo pas bedam", "میخوام کالامو پس بدم"),  # a whole support request
        ("shomare telephone poshtibani chande?", "شماره تلفن پشتیبانی چنده"),  # punctuation dropped
        ("Salaaam, SEFARESHAM kojast?!", "سلام سفارشم کجاست"),  # capitals and repeated letters
        ("سفارشم kojast", "سفارشم کجاست"),  # mixed Persian script + Finglish
        ("می‌خوام pas bedam", "میخوام پس بدم"),  # Persian with ZWNJ is normalised, kept
        ("sefaresh 12345", "سفارش 12345"),  # digits kept
        ("sefaresh ۱۲۳۴۵", "سفارش 12345"),  # Persian digits folded to ASCII, as normalize does
        ("salam 😀🙏", "سلام"),  # emoji dropped
        ("", ""),  # empty string
        ("   ", ""),  # whitespace only
        ("😀", ""),  # emoji only
        ("ketab e man", "کتاب من"),  # ezafe written as a separate word is dropped
    ],
)
def test_messages(text: str, expected: str) -> None:
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("salam", True),  # one greeting word
        ("mikham kalamo pas bedam", True),  # verbs and clitics
        ("shomare telephone poshtibani chande", True),  # an English loanword among Persian
        ("Sefaresham KEI mirese?!", True),  # capitals and punctuation
        ("kheili mamnoon", True),  # thanks
        ("code takhfif daram", True),  # loanword "code" counts for neither side
        ("ghimatesh chande", True),  # unknown word with a Finglish digraph
        ("I want to talk to a human", False),  # English sentence
        ("thanks", False),  # one English word
        ("hello", False),  # one English word
        ("Where is my order?", False),  # English support question
        ("Please cancel my order", False),  # English with a loanword
        ("ok", False),  # ambiguous on its own
        ("سلام سفارشم کجاست", False),  # Persian script
        ("salam سفارشم کجاست", False),  # mixed, mostly Persian script
        ("12345", False),  # digits only
        ("😀", False),  # emoji only
        ("", False),  # empty
    ],
)
def test_looks_finglish(text: str, expected: bool) -> None:
    assert looks_finglish(normalize(text)) is expected
    assert looks_finglish(text) is expected  # raw text gives the same answer


def test_lexicon_is_small_and_canonical() -> None:
    assert len(WORDS) + len(STEMS) <= 300
    for word, persian in WORDS.items():
        assert normalize(persian) == persian, word
        assert transliterate(word) == persian, word  # no entry shadowed by another


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_is_canonical(text: str) -> None:
    assert isinstance(looks_finglish(text), bool)
    out = transliterate(text)
    assert normalize(out) == out
    assert transliterate(out) == out  # Persian output is left alone
    assert transliterate(normalize(text)) == out  # normalising first changes nothing


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz '-")), max_size=80))
def test_every_latin_letter_is_transliterated(text: str) -> None:
    out = transliterate(text)
    assert not re.search(r"[a-z]", out)
    assert normalize(out) == out
