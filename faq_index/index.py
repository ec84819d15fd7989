"""A TF-IDF retrieval index over FAQ question variants.

Each FAQ entry (a key such as `contact_phone`) has a few question variants. A query is
scored against every variant by cosine similarity of TF-IDF vectors over character
n-grams (robust to typos, missing half-spaces and colloquial endings) and words; an
entry's score is its best variant's. A new entry with three variants is searchable as
soon as the index is rebuilt — no classifier retraining, no hand-tuning.

The index knows nothing of Persian: it is handed the text-normalising function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from faq_index.tfidf import TfidfFeatures

__all__ = ["FaqIndex", "Hit"]

_FORMAT = 1
_HALF = np.float32(np.sqrt(0.5))


@dataclass(frozen=True, slots=True)
class Hit:
    """A FAQ entry matching a query: its key, cosine score in [0, 1] and best variant."""

    key: str
    score: float
    question: str


class FaqIndex:
    """`FaqIndex.build(entries, normalize)` then `search(query, k)`."""

    def __init__(self, normalize: Callable[[str], str]) -> None:
        self.normalize = normalize
        self._chars = TfidfFeatures("char_wb", (2, 4))
        self._words = TfidfFeatures("word", (1, 1))
        self._matrix: sp.csr_matrix | None = None
        self._keys: list[str] = []
        self._questions: list[str] = []
        self._row_key: np.ndarray = np.zeros(0, dtype=np.int32)
        self._key_start: np.ndarray = np.zeros(0, dtype=np.int64)

    @classmethod
    def build(
        cls, entries: Mapping[str, Sequence[str]], normalize: Callable[[str], str]
    ) -> FaqIndex:
        """Index `{key: [question variant, …]}`; empty variants are skipped."""
        index = cls(normalize)
        rows: list[str] = []
        row_key: list[int] = []
        for key in sorted(entries):
            normalized = [normalize(q) for q in entries[key]]
            usable = [(q, n) for q, n in zip(entries[key], normalized, strict=True) if n]
            if not usable:
                continue
            index._keys.append(key)
            for question, norm in usable:
                index._questions.append(question)
                rows.append(norm)
                row_key.append(len(index._keys) - 1)
        index._row_key = np.asarray(row_key, dtype=np.int32)
        if rows:
            index._chars.fit(rows)
            index._words.fit(rows)
            index._finish(index._stack(rows))
        return index

    def _finish(self, matrix: sp.csr_matrix) -> None:
        """Keep the matrix transposed (features × rows) for one-message queries."""
        self._matrix = matrix
        self._by_feature = matrix.T.tocsr()
        # rows are grouped by key, so each key's best row is a reduceat over its run
        self._key_start = np.flatnonzero(np.r_[True, self._row_key[1:] != self._row_key[:-1]])

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def _stack(self, texts: Sequence[str]) -> sp.csr_matrix:
        parts = [self._chars.transform(texts), self._words.transform(texts)]
        # each part is L2-normalised; scaling both by √½ keeps the joint vector unit length
        return (sp.hstack(parts, format="csr") * _HALF).astype(np.float32)

    def _query(self, text: str) -> sp.csr_matrix:
        c_idx, c_val = self._chars.vector(text)
        w_idx, w_val = self._words.vector(text)
        indices = np.concatenate([c_idx, w_idx + self._chars.n_features])
        data = np.concatenate([c_val, w_val]) * _HALF
        shape = (1, self._chars.n_features + self._words.n_features)
        return sp.csr_matrix((data, indices, np.array([0, len(indices)])), shape=shape)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return self.search_normalized(self.normalize(query), k)

    def search_normalized(self, query: str, k: int = 5) -> list[Hit]:
        """Like `search` for a query already passed through the index's normaliser."""
        if self._matrix is None or not query or k <= 0:
            return []
        scores = (self._query(query) @ self._by_feature).toarray().ravel()
        best = np.maximum.reduceat(scores, self._key_start)
        k = min(k, len(self._keys))
        top = np.argpartition(-best, k - 1)[:k]
        top = top[np.argsort(-best[top], kind="stable")]
        hits = []
        for key_id in top:
            if best[key_id] <= 0:
                break
            first = self._key_start[key_id]
            last = self._key_start[key_id + 1] if key_id + 1 < len(self._keys) else len(scores)
            row = first + int(np.argmax(scores[first:last]))
            hits.append(Hit(self._keys[key_id], float(best[key_id]), self._questions[row]))
        return hits

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON metadata and plain arrays; `from_state` rebuilds the same index."""
        meta: dict = {"format": _FORMAT, "keys": self._keys, "questions": self._questions}
        arrays: dict[str, np.ndarray] = {"row_key": self._row_key}
        if self._matrix is not None:
            meta["chars"], char_arrays = self._chars.to_state("char_")
            meta["words"], word_arrays = self._words.to_state("word_")
            meta["shape"] = list(self._matrix.shape)
            arrays |= char_arrays | word_arrays
            arrays |= {
                "data": self._matrix.data,
                "indices": self._matrix.indices,
                "indptr": self._matrix.indptr,
            }
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: Mapping, arrays: Mapping[str, np.ndarray], normalize: Callable[[str], str]
    ) -> FaqIndex:
        if meta.get("format") != _FORMAT:
            raise ValueError(f"FAQ index format {meta.get('format')!r}, expected {_FORMAT}")
        index = cls(normalize)
        index._keys = list(meta["keys"])
        index._questions = list(meta["questions"])
        index._row_key = np.asarray(arrays["row_key"], dtype=np.int32)
        if index._keys:
            index._chars = TfidfFeatures.from_state(meta["chars"], arrays, "char_")
            index._words = TfidfFeatures.from_state(meta["words"], arrays, "word_")
            matrix = sp.csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(meta["shape"])
            )
            index._finish(matrix)
        return index
