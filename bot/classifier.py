"""Intent classifier: TF-IDF over word and character n-grams, a linear SVM, calibrated softmax.

Input is text already passed through `bot.text.normalize`; this module never normalises.
Features are two TF-IDF views of one message, each L2-normalised and then concatenated:
word 1–2 grams (with sentence-boundary bigrams, so the closing verb — `کن`, `بگو`,
`بده` — counts as such) and `char_wb` n-grams, which catch Persian inflection and the
compounds the normaliser glues together (`پخشکن`, `ساختهشده`). A one-vs-rest
`LinearSVC` scores intents; the scores become probabilities by a softmax whose one
temperature is fitted on out-of-fold scores, so a 0.9 is right about 90% of the time.

The whole fitted model is plain arrays plus JSON (`to_state` / `from_state`), and
`rank` — the per-message hot path — is a dictionary lookup per n-gram and one small
dense gather, with no scikit-learn call.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

__all__ = ["IntentClassifier"]

_STATE_FORMAT = "pasokhgoo.intent-classifier/1"
_BOS, _EOS = "<s>", "</s>"
# Arrays saved with the model; everything else in the state is JSON metadata.
_ARRAYS = ("word_idf", "char_idf", "coef", "intercept")

Terms = tuple[list[str], list[str]]  # one message's word-view and char-view n-grams
Vocabularies = tuple[dict[str, int], dict[str, int]]
Idfs = tuple[np.ndarray, np.ndarray]

# Used when calibration is off or an intent has a single example (no held-out folds).
# Fitted temperatures were 0.15–0.22 on MASSIVE fa-IR, both in full and cut to
# 25 intents × 40 examples; softmax at T=1 over SVM scores is far too flat.
_FALLBACK_TEMPERATURE = 0.2


def _word_terms(words: Sequence[str], lo: int, hi: int, boundaries: bool) -> list[str]:
    """Word n-grams joined by a space; boundary markers only ever appear inside bigrams+."""
    terms = list(words) if lo <= 1 <= hi else []
    padded = [_BOS, *words, _EOS] if boundaries else list(words)
    for n in range(max(lo, 2), hi + 1):
        terms.extend(" ".join(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return terms


def _char_terms(words: Sequence[str], lo: int, hi: int) -> list[str]:
    """scikit-learn's `char_wb` n-grams: within each word padded by one space each side."""
    terms: list[str] = []
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(lo, min(hi, size) + 1):
            terms.extend(padded[i : i + n] for i in range(size - n + 1))
        if size < lo:  # a word shorter than every n still counts once, as in sklearn
            terms.append(padded)
    return terms


def _idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """Smoothed idf, as `TfidfVectorizer(smooth_idf=True)`: ln((1+n)/(1+df)) + 1."""
    return np.log((1.0 + n_docs) / (1.0 + doc_freq)) + 1.0


def _fit_vocabulary(docs: Iterable[list[str]], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    doc_freq: Counter[str] = Counter()
    n_docs = 0
    for terms in docs:
        doc_freq.update(set(terms))
        n_docs += 1
    kept = sorted(term for term, df in doc_freq.items() if df >= min_df)
    vocabulary = {term: i for i, term in enumerate(kept)}
    idf = _idf(np.array([doc_freq[t] for t in kept], dtype=np.float64), n_docs)
    return vocabulary, idf


def _weigh(
    terms: list[str], vocabulary: dict[str, int], idf: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """One view of one message: (column indices, sublinear-tf · idf values, L2-normalised)."""
    counts = Counter(i for i in map(vocabulary.get, terms) if i is not None)
    if not counts:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
    index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    values = (1.0 + np.log(tf)) * idf[index]
    return index, values * (scale / math.sqrt(float(values @ values)))


class IntentClassifier(ClassifierMixin, BaseEstimator):
    """Rank intents for a normalised message, with calibrated confidences.

    Parameters
    ----------
    word_ngrams, char_ngrams : (min_n, max_n) of the word view and the `char_wb` view.
    boundaries : add `<s> first-word` and `last-word </s>` bigrams to the word view.
    char_weight : weight of the (L2-normalised) char view against the word view.
    min_df : drop n-grams seen in fewer training messages than this.
    C, class_weight : regularisation and class weighting of the `LinearSVC`.
    calibration_folds : folds of out-of-fold scores the softmax temperature is fitted on
        (fewer if an intent has fewer examples); 0 skips calibration and uses a typical
        temperature instead, which only tuning grids should do.
    random_state : seed of the SVM solver and of the calibration folds.
    """

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (1, 5),
        boundaries: bool = True,
        char_weight: float = 1.0,
        min_df: int = 1,
        C: float = 0.5,
        class_weight: str | None = None,
        calibration_folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.boundaries = boundaries
        self.char_weight = char_weight
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    # -- features ---------------------------------------------------------------------

    def _terms(self, text: str) -> Terms:
        words = text.split()
        return (
            _word_terms(words, *self.word_ngrams, self.boundaries),
            _char_terms(words, *self.char_ngrams),
        )

    def _vectorize(self, terms: Sequence[Terms], vocab: Vocabularies, idf: Idfs) -> sp.csr_matrix:
        """Messages' term lists → CSR matrix [word view | char view] for given vocabularies."""
        (word_vocab, char_vocab), (word_idf, char_idf) = vocab, idf
        offset = len(word_vocab)
        indptr, indices, data = [0], [], []
        for word_terms, char_terms in terms:
            wi, wv = _weigh(word_terms, word_vocab, word_idf, 1.0)
            ci, cv = _weigh(char_terms, char_vocab, char_idf, self.char_weight)
            indices.extend((wi, ci + offset))
            data.extend((wv, cv))
            indptr.append(indptr[-1] + len(wi) + len(ci))
        shape = (len(terms), offset + len(char_vocab))
        if not data:
            return sp.csr_matrix(shape, dtype=np.float64)
        return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=shape)

    def _fit_features(self, terms: Sequence[Terms]) -> tuple[Vocabularies, Idfs, sp.csr_matrix]:
        word_vocab, word_idf = _fit_vocabulary((t[0] for t in terms), self.min_df)
        char_vocab, char_idf = _fit_vocabulary((t[1] for t in terms), self.min_df)
        vocab, idf = (word_vocab, char_vocab), (word_idf, char_idf)
        return vocab, idf, self._vectorize(terms, vocab, idf)

    def _svm(self) -> LinearSVC:
        return LinearSVC(
            C=self.C,
            class_weight=self.class_weight,
            random_state=self.random_state,
            max_iter=10_000,
        )

    # -- fitting ----------------------------------------------------------------------

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        """Learn vocabularies, idf, SVM weights and the calibration temperature."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        classes, y = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        if len(classes) < 2:
            raise ValueError("an intent classifier needs at least two intents")
        terms = [self._terms(text) for text in texts]
        vocab, idf, X = self._fit_features(terms)
        if X.shape[1] == 0:
            raise ValueError("the training texts have no words")
        coef, intercept = self._fit_scores(X, y, len(classes))
        self.temperature_ = self._fit_temperature(terms, y, len(classes))
        self.classes_ = [str(c) for c in classes]
        self.word_vocabulary_, self.char_vocabulary_ = vocab
        self.word_idf_, self.char_idf_ = idf
        self.coef_, self.intercept_ = coef, intercept
        return self

    def _fit_scores(
        self, X: sp.csr_matrix, y: np.ndarray, n_classes: int
    ) -> tuple[np.ndarray, np.ndarray]:
        svm = self._svm().fit(X, y)
        if n_classes == 2:  # LinearSVC keeps one hyperplane for two classes; split it
            coef = np.vstack([-svm.coef_[0], svm.coef_[0]]) / 2.0
            intercept = np.array([-svm.intercept_[0], svm.intercept_[0]]) / 2.0
        else:
            coef, intercept = svm.coef_, svm.intercept_
        # Column-major, so that `rank` gathers the few columns of one message contiguously.
        return np.asfortranarray(coef, dtype=np.float64), intercept.astype(np.float64)

    def _fit_temperature(self, terms: Sequence[Terms], y: np.ndarray, n_classes: int) -> float:
        """Softmax temperature minimising the log loss of out-of-fold SVM scores.

        Each fold refits vocabulary and idf too, so unseen words are as unseen as at
        serving time. The fold models saw less data than the final one, so the fitted
        temperature errs, slightly, on the modest side.
        """
        folds = min(self.calibration_folds, int(np.bincount(y).min()))
        if folds < 2:
            return _FALLBACK_TEMPERATURE
        scores = np.zeros((len(y), n_classes))
        split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        # Every fold trains on every intent: each has at least `folds` examples.
        for train, held in split.split(np.zeros(len(y)), y):
            vocab, idf, X = self._fit_features([terms[i] for i in train])
            coef, intercept = self._fit_scores(X, y[train], n_classes)
            held_X = self._vectorize([terms[i] for i in held], vocab, idf)
            scores[held] = held_X @ coef.T + intercept

        def log_loss(log_t: float) -> float:
            logp = log_softmax(scores / math.exp(log_t), axis=1)
            return -float(logp[np.arange(len(y)), y].mean())

        best = minimize_scalar(log_loss, bounds=(-6.0, 3.0), method="bounded")
        return float(math.exp(best.x))

    # -- prediction -------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. "
                "Call 'fit' or 'from_state' before using it."
            )

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw SVM scores, one row per text and one column per class in `classes_`."""
        self._check_fitted()
        vocab = (self.word_vocabulary_, self.char_vocabulary_)
        idf = (self.word_idf_, self.char_idf_)
        X = self._vectorize([self._terms(t) for t in texts], vocab, idf)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities; each row sums to 1."""
        return softmax(self.decision_function(texts) / self.temperature_, axis=1)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The most likely intent of each text."""
        return np.asarray(self.classes_)[self.decision_function(texts).argmax(axis=1)]

    def rank(self, text: str, k: int | None = None) -> list[tuple[str, float]]:
        """The `k` most likely intents of one message (all if None), most likely first."""
        self._check_fitted()
        if k is not None and k < 0:
            raise ValueError(f"k must be None or >= 0, not {k}")
        word_terms, char_terms = self._terms(text)
        wi, wv = _weigh(word_terms, self.word_vocabulary_, self.word_idf_, 1.0)
        ci, cv = _weigh(char_terms, self.char_vocabulary_, self.char_idf_, self.char_weight)
        coef = self.coef_
        scores = self.intercept_ + coef[:, wi] @ wv + coef[:, ci + len(self.word_idf_)] @ cv
        z = scores / self.temperature_
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")[: k if k is not None else len(p)].tolist()
        confidences = p.tolist()
        return [(self.classes_[i], confidences[i]) for i in order]

    # -- state ------------------------------------------------------------------------

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-ready metadata and plain numeric arrays that `from_state` rebuilds from."""
        self._check_fitted()
        meta = {
            "format": _STATE_FORMAT,
            "params": {
                k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()
            },
            "classes": list(self.classes_),
            "temperature": self.temperature_,
            # Vocabularies as term lists in column order: index i is term list[i].
            "word_terms": sorted(self.word_vocabulary_, key=self.word_vocabulary_.__getitem__),
            "char_terms": sorted(self.char_vocabulary_, key=self.char_vocabulary_.__getitem__),
        }
        arrays = {
            "word_idf": self.word_idf_,
            "char_idf": self.char_idf_,
            "coef": self.coef_,
            "intercept": self.intercept_,
        }
        return meta, {name: np.asarray(a, dtype=np.float64) for name, a in arrays.items()}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> IntentClassifier:
        """Rebuild a fitted classifier from `to_state`'s output (arrays may be an NpzFile)."""
        if meta.get("format") != _STATE_FORMAT:
            raise ValueError(f"not an intent-classifier state: {meta.get('format')!r}")
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()}
        model = cls(**params)
        a = {name: np.array(arrays[name], dtype=np.float64) for name in _ARRAYS}
        word_terms, char_terms = meta["word_terms"], meta["char_terms"]
        n_classes, n_features = a["coef"].shape
        if (
            len(meta["classes"]) != n_classes
            or len(a["intercept"]) != n_classes
            or len(word_terms) != len(a["word_idf"])
            or len(char_terms) != len(a["char_idf"])
            or n_features != len(word_terms) + len(char_terms)
        ):
            raise ValueError("intent-classifier state has inconsistent shapes")
        model.classes_ = list(meta["classes"])
        model.temperature_ = float(meta["temperature"])
        model.word_vocabulary_ = {t: i for i, t in enumerate(word_terms)}
        model.char_vocabulary_ = {t: i for i, t in enumerate(char_terms)}
        model.word_idf_, model.char_idf_ = a["word_idf"], a["char_idf"]
        model.coef_, model.intercept_ = np.asfortranarray(a["coef"]), a["intercept"]
        return model
