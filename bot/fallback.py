"""The fallback rule: is the top intent confident, ambiguous, or not understood?

Like Rasa's FallbackClassifier: a confidence threshold and a top-two margin, with the
reason recorded so the decision can be explained in logs and analytics.

One more check covers messages too short for the confidence to mean much. The softmax
only compares intents (it is unchanged by adding one number to every score), so a lone
word that every intent's one-vs-rest classifier rejects still gets 0.99 for the intent
that rejects it least: «ارسال» went to the ticket how-to because that intent's examples
say «ارسال تیکت». When the interpreter passes the top intent's raw score as `claim`
(it does for a FAQ answer to one known word, see `bot.nlu`), a claim below zero — the
side of the decision boundary where the classifier says "not one of mine" — is low
confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Confidence", "FallbackRule", "Verdict"]


class Confidence(StrEnum):
    CONFIDENT = "confident"
    AMBIGUOUS = "ambiguous"
    LOW = "low_confidence"


@dataclass(frozen=True, slots=True)
class Verdict:
    confidence: Confidence
    reason: str


@dataclass(frozen=True, slots=True)
class FallbackRule:
    """`threshold`: the least confidence to act on; `margin`: the least lead over the runner-up."""

    threshold: float = 0.45
    margin: float = 0.12

    def __post_init__(self) -> None:
        if not (0 <= self.threshold <= 1 and 0 <= self.margin <= 1):
            raise ValueError("threshold and margin must lie in [0, 1]")

    def judge(self, ranking: Sequence[tuple[str, float]], *, claim: float | None = None) -> Verdict:
        """Judge a ranking sorted by confidence, highest first.

        `claim`: the top intent's raw one-vs-rest score, when its sign must back the
        confidence up (see the module docstring); None skips that check.
        """
        if not ranking:
            return Verdict(Confidence.LOW, "no intent")
        top_name, top = ranking[0]
        if top < self.threshold:
            return Verdict(
                Confidence.LOW, f"{top_name} at {top:.2f} < threshold {self.threshold:.2f}"
            )
        if claim is not None and claim < 0:
            return Verdict(
                Confidence.LOW, f"{top_name} at {top:.2f} but unclaimed: score {claim:+.2f} < 0"
            )
        if len(ranking) > 1:
            second_name, second = ranking[1]
            if top - second < self.margin:
                return Verdict(
                    Confidence.AMBIGUOUS,
                    f"{top_name} {top:.2f} vs {second_name} {second:.2f}: "
                    f"margin {top - second:.2f} < {self.margin:.2f}",
                )
        return Verdict(Confidence.CONFIDENT, f"{top_name} at {top:.2f}")
