"""The fallback rule as a plain table: threshold and top-two margin."""

from __future__ import annotations

import pytest

from bot.fallback import Confidence, FallbackRule

RULE = FallbackRule(threshold=0.5, margin=0.1)


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [
        ([("greet", 0.9), ("thanks", 0.05)], Confidence.CONFIDENT),  # clear winner
        ([("greet", 0.5), ("thanks", 0.1)], Confidence.CONFIDENT),  # exactly at threshold
        ([("greet", 0.49), ("thanks", 0.1)], Confidence.LOW),  # just under the threshold
        ([("faq/contact_phone", 0.55), ("faq/seller_support", 0.5)], Confidence.AMBIGUOUS),
        ([("faq/contact_phone", 0.61), ("faq/seller_support", 0.5)], Confidence.CONFIDENT),
        ([("greet", 0.95)], Confidence.CONFIDENT),  # a single candidate
        ([], Confidence.LOW),  # nothing at all (empty message)
    ],
)
def test_judge(ranking: list[tuple[str, float]], expected: Confidence) -> None:
    assert RULE.judge(ranking).confidence is expected


def test_reason_names_the_numbers() -> None:
    verdict = RULE.judge([("faq/contact_phone", 0.55), ("faq/seller_support", 0.5)])
    assert "faq/contact_phone" in verdict.reason and "0.05" in verdict.reason


@pytest.mark.parametrize(("threshold", "margin"), [(1.5, 0.1), (0.5, -0.1)])
def test_rejects_nonsense_settings(threshold: float, margin: float) -> None:
    with pytest.raises(ValueError):
        FallbackRule(threshold, margin)
