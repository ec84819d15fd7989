"""The fallback rule as a plain table: threshold, top-two margin and the top claim."""

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


@pytest.mark.parametrize(
    ("ranking", "claim", "expected"),
    [
        ([("faq/ticket_howto", 0.99), ("faq/order_tracking", 0.01)], -0.08, Confidence.LOW),
        ([("faq/ticket_howto", 0.99), ("faq/order_tracking", 0.01)], 1.57, Confidence.CONFIDENT),
        ([("faq/ticket_howto", 0.99), ("faq/order_tracking", 0.01)], 0.0, Confidence.CONFIDENT),
        ([("greet", 0.52), ("faq/ticket_howto", 0.48)], 0.3, Confidence.AMBIGUOUS),  # claimed
        ([("greet", 0.3), ("thanks", 0.1)], 0.3, Confidence.LOW),  # claimed, yet under threshold
    ],
)
def test_a_claim_below_zero_is_low_confidence(
    ranking: list[tuple[str, float]], claim: float, expected: Confidence
) -> None:
    """The top intent's raw score, when given, must be on its own side of the boundary."""
    assert RULE.judge(ranking, claim=claim).confidence is expected


def test_reason_names_the_unclaimed_score() -> None:
    verdict = RULE.judge([("faq/ticket_howto", 0.99)], claim=-0.08)
    assert "faq/ticket_howto" in verdict.reason and "-0.08" in verdict.reason


def test_reason_names_the_numbers() -> None:
    verdict = RULE.judge([("faq/contact_phone", 0.55), ("faq/seller_support", 0.5)])
    assert "faq/contact_phone" in verdict.reason and "0.05" in verdict.reason


@pytest.mark.parametrize(("threshold", "margin"), [(1.5, 0.1), (0.5, -0.1)])
def test_rejects_nonsense_settings(threshold: float, margin: float) -> None:
    with pytest.raises(ValueError):
        FallbackRule(threshold, margin)
