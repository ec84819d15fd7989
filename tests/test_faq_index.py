"""The FAQ index: paraphrases find their entry; save → load gives the same hits."""

from __future__ import annotations

import numpy as np
import pytest

from bot.text import normalize
from faq_index import FaqIndex

ENTRIES = {
    "contact_phone": ["شماره تلفن پشتیبانی چنده", "با چه شماره‌ای تماس بگیرم", "شماره تماس"],
    "contact_email": ["ایمیل پشتیبانی چیه", "آدرس ایمیل دیجی کالا", "به کجا ایمیل بزنم"],
    "gift_card": ["کارت هدیه چطور بخرم", "خرید کارت هدیه", "کارت هدیه دارید؟"],
}


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(ENTRIES, normalize)


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("شماره تماس پشتیبانی رو میخواستم", "contact_phone"),  # colloquial paraphrase
        ("ايميل پشتيباني", "contact_email"),  # Arabic ي
        ("کارتهدیه میخوام", "gift_card"),  # a new entry with three variants, words glued
        ("كارت هديه", "gift_card"),  # Arabic letters
    ],
)
def test_paraphrase_finds_its_entry(index: FaqIndex, query: str, key: str) -> None:
    hits = index.search(query, k=3)
    assert hits[0].key == key
    assert 0 < hits[0].score <= 1.0001


def test_hits_are_sorted_and_limited(index: FaqIndex) -> None:
    hits = index.search("شماره ایمیل", k=2)
    assert len(hits) <= 2
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_exact_variant_scores_one(index: FaqIndex) -> None:
    hit = index.search("خرید کارت هدیه")[0]
    assert hit.key == "gift_card"
    assert hit.question == "خرید کارت هدیه"
    assert hit.score == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("query", ["", "   ", "!!!", "😀"])
def test_empty_queries_find_nothing(index: FaqIndex, query: str) -> None:
    assert index.search(query) == []


def test_empty_index() -> None:
    empty = FaqIndex.build({}, normalize)
    assert len(empty) == 0
    assert empty.search("سلام") == []
    meta, arrays = empty.to_state()
    assert FaqIndex.from_state(meta, arrays, normalize).search("سلام") == []


def test_save_load_same_hits(index: FaqIndex, tmp_path) -> None:
    meta, arrays = index.to_state()
    np.savez(tmp_path / "index.npz", **arrays)
    with np.load(tmp_path / "index.npz", allow_pickle=False) as npz:
        loaded = FaqIndex.from_state(meta, {k: npz[k] for k in npz.files}, normalize)
    for query in ["شماره تماس", "ایمیل", "کارت هدیه", "سلام"]:
        assert loaded.search(query) == index.search(query)


def test_rejects_another_format(index: FaqIndex) -> None:
    meta, arrays = index.to_state()
    with pytest.raises(ValueError, match="format"):
        FaqIndex.from_state(meta | {"format": 99}, arrays, normalize)
