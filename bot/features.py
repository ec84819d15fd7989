"""The text a model sees: the normalised message, plus a Persian reading of Finglish.

Training, the FAQ index and serving all call `prepare`, so a model never sees text
prepared differently at train and at serve time. When a message reads as Persian in
Latin letters ("mikham kalamo pas bedam"), its transliteration is appended, so both the
Latin n-grams (Finglish training examples) and the Persian ones (everything else) match.
"""

from __future__ import annotations

import hashlib

from bot import finglish
from bot.text import fingerprint as text_fingerprint
from bot.text import normalize

__all__ = ["features_fingerprint", "prepare"]


def prepare(text: str) -> str:
    normalized = normalize(text)
    if finglish.looks_finglish(normalized):
        return f"{normalized} {finglish.transliterate(normalized)}"
    return normalized


def features_fingerprint() -> str:
    """Changes whenever `prepare` may give another output: saved with every model."""
    spec = f"{text_fingerprint()}:{finglish.RULES_VERSION}"
    return hashlib.sha256(spec.encode()).hexdigest()[:16]
