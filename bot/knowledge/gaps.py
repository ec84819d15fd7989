"""Knowledge gaps: what customers asked that the bot could not answer, grouped by topic.

A gap is a recorded turn that fell back, asked the customer to choose, or was answered
(or handed off) below `low_confidence`. Identical texts are counted once; the distinct
texts are clustered on TF-IDF character n-grams (inside words, 2–5 letters, which absorb
Persian inflection and misspellings) with average-linkage agglomerative clustering and a
cosine-distance threshold, so twenty phrasings of one missing topic become one row.

The n-gram weights are fitted on the knowledge base's own examples too: words every
support question uses (چطوری، میخوام، سفارش) weigh little, topic words weigh much. The
threshold was chosen on paraphrases of missing topics: at 0.9 thirty messages on three
topics made three pure clusters with the shipped knowledge base as background, and
0.88–0.94 gave the same.

Deterministic: the same turns give the same clusters and the same cluster ids (a hash of
the cluster's texts), so an id from a listing can be acted on later.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from bot.domain import Turn

__all__ = ["GAP_ACTIONS", "Gap", "cluster_gaps", "is_gap"]

GAP_ACTIONS = frozenset({"fallback", "clarify"})
LOW_CONFIDENCE_ACTIONS = frozenset({"answer", "handoff"})
NOT_SUGGESTED = frozenset({"out_of_scope", "nlu_fallback"})
DISTANCE_THRESHOLD = 0.9
MAX_TEXTS = 3000  # distinct texts clustered at once (the newest): bounds memory to ~70 MB
EXAMPLES_SHOWN = 5
MESSAGES_SHOWN = 100  # a listing shows this many of a cluster's texts; promoting uses all


@dataclass(frozen=True)
class Gap:
    """One missing topic: its messages (distinct texts, most frequent first) and counts."""

    id: str
    count: int  # messages, repeats included
    senders: int
    messages: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    suggested_intent: str | None
    suggested_confidence: float | None

    def to_dict(self, examples: int = EXAMPLES_SHOWN) -> dict[str, Any]:
        return {
            "id": self.id,
            "count": self.count,
            "senders": self.senders,
            "distinct": len(self.messages),
            "examples": list(self.messages[:examples]),
            "messages": list(self.messages[:MESSAGES_SHOWN]),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "suggested_intent": self.suggested_intent,
            "suggested_confidence": self.suggested_confidence,
        }


def is_gap(turn: Turn, low_confidence: float = 0.6) -> bool:
    """A question the bot did not answer, or answered without much confidence."""
    if not turn.text or turn.text.startswith("/"):  # empty, or a button's payload
        return False
    if turn.action in GAP_ACTIONS:
        return True
    return turn.action in LOW_CONFIDENCE_ACTIONS and turn.confidence < low_confidence


def _labels(texts: Sequence[str], background: Sequence[str], threshold: float) -> np.ndarray:
    if len(texts) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=False
    )
    vectorizer.fit([*background, *texts])
    distances = cosine_distances(vectorizer.transform(texts))
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    return model.fit(distances).labels_


def _suggestion(turns: Sequence[Turn]) -> tuple[str | None, float | None]:
    votes = Counter(t.intent for t in turns if t.intent and t.intent not in NOT_SUGGESTED)
    if not votes:
        return None, None
    intent, _ = votes.most_common(1)[0]
    confidences = [t.confidence for t in turns if t.intent == intent]
    return intent, round(float(np.mean(confidences)), 4)


def cluster_gaps(
    turns: Sequence[Turn],
    background: Sequence[str] = (),
    *,
    low_confidence: float = 0.6,
    threshold: float = DISTANCE_THRESHOLD,
) -> list[Gap]:
    """The gaps among `turns`, biggest first. `background`: the knowledge base's examples,
    already normalised like turn texts."""
    by_text: dict[str, list[Turn]] = {}
    for turn in turns:
        if is_gap(turn, low_confidence):
            by_text.setdefault(turn.text, []).append(turn)
    newest = sorted(by_text, key=lambda t: max(x.at for x in by_text[t]), reverse=True)
    texts = sorted(newest[:MAX_TEXTS])
    if not texts:
        return []
    labels = _labels(texts, background, threshold)
    members: dict[int, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        members.setdefault(int(label), []).append(text)
    gaps = []
    for group in members.values():
        group_turns = [t for text in group for t in by_text[text]]
        ordered = sorted(group, key=lambda text: (-len(by_text[text]), text))
        intent, confidence = _suggestion(group_turns)
        gaps.append(
            Gap(
                id=hashlib.sha256("\n".join(sorted(group)).encode()).hexdigest()[:12],
                count=len(group_turns),
                senders=len({t.sender_id for t in group_turns}),
                messages=tuple(ordered),
                first_seen=min(t.at for t in group_turns),
                last_seen=max(t.at for t in group_turns),
                suggested_intent=intent,
                suggested_confidence=confidence,
            )
        )
    return sorted(gaps, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.id))
