"""Measuring intent recognition: a held-out test file, or K-fold cross-validation.

Predictions come from the whole `Interpreter` (classifier combined with the FAQ index),
so the scores are those of the bot customers talk to, not of the classifier alone. Only
the top intent counts; the fallback rule is left out, as in Rasa's `rasa test nlu`
without a FallbackClassifier. `write_report` writes Rasa's file names and shapes
(`intent_report.json`, `intent_errors.json`, the confusion matrix and the confidence
histogram), so existing Rasa tooling and habits carry over.
"""

from __future__ import annotations

import json
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.training_data import Example, TrainingData

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = [
    "EvaluationResult",
    "IntentScores",
    "Prediction",
    "cross_validate",
    "evaluate",
    "write_report",
]

# How many wrong predictions `confused_with` lists per intent, as Rasa does.
CONFUSIONS_SHOWN = 3

REPORT_FILE = "intent_report.json"
ERRORS_FILE = "intent_errors.json"
CONFUSION_FILE = "intent_confusion_matrix.png"
HISTOGRAM_FILE = "intent_histogram.png"


@dataclass(frozen=True, slots=True)
class Prediction:
    """One test sentence: its true intent and the bot's top intent with its confidence."""

    text: str
    intent: str
    predicted: str
    confidence: float

    @property
    def correct(self) -> bool:
        return self.intent == self.predicted


@dataclass(frozen=True, slots=True)
class IntentScores:
    """One intent's row of the report, with the intents its sentences were mistaken for."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int
    confused_with: dict[str, int]


@dataclass
class EvaluationResult:
    """Pooled predictions of an evaluation run and the scores computed from them."""

    predictions: list[Prediction]
    method: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @cached_property
    def labels(self) -> list[str]:
        """Every intent that occurs as truth or as prediction, sorted."""
        return sorted(
            {p.intent for p in self.predictions} | {p.predicted for p in self.predictions}
        )

    @cached_property
    def confusion(self) -> np.ndarray:
        """Counts: row = true intent, column = predicted intent, in `labels` order."""
        from sklearn.metrics import confusion_matrix

        truth = [p.intent for p in self.predictions]
        predicted = [p.predicted for p in self.predictions]
        return confusion_matrix(truth, predicted, labels=self.labels)

    @cached_property
    def report(self) -> dict:
        """Rasa's `intent_report.json`: sklearn's classification report plus `confused_with`."""
        from sklearn.metrics import classification_report

        if not self.predictions:
            return {}
        raw = classification_report(
            [p.intent for p in self.predictions],
            [p.predicted for p in self.predictions],
            labels=self.labels,
            output_dict=True,
            zero_division=0,
        )
        report = _plain(raw)
        for row, label in enumerate(self.labels):
            counts = {
                self.labels[col]: int(n)
                for col, n in enumerate(self.confusion[row])
                if col != row and n > 0
            }
            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:CONFUSIONS_SHOWN]
            report[label]["confused_with"] = dict(top)
        return report

    @property
    def accuracy(self) -> float:
        return float(self.report.get("accuracy", 0.0))

    @property
    def macro_f1(self) -> float:
        return float(self.report.get("macro avg", {}).get("f1-score", 0.0))

    @property
    def weighted_f1(self) -> float:
        return float(self.report.get("weighted avg", {}).get("f1-score", 0.0))

    def intent_scores(self) -> list[IntentScores]:
        """Per-intent scores, worst F1 first (ties: more test sentences first)."""
        rows = [
            IntentScores(
                label,
                self.report[label]["precision"],
                self.report[label]["recall"],
                self.report[label]["f1-score"],
                int(self.report[label]["support"]),
                self.report[label]["confused_with"],
            )
            for label in self.labels
        ]
        return sorted(rows, key=lambda r: (r.f1, -r.support, r.intent))

    def errors(self) -> list[dict]:
        """Rasa's `intent_errors.json`: the wrong predictions, most confident first."""
        wrong = sorted((p for p in self.predictions if not p.correct), key=lambda p: -p.confidence)
        return [
            {
                "text": p.text,
                "intent": p.intent,
                "intent_prediction": {"name": p.predicted, "confidence": round(p.confidence, 4)},
            }
            for p in wrong
        ]


def _plain(value):
    """sklearn's report holds numpy scalars, which `json` refuses, and float supports,
    which Rasa writes as integers."""
    if isinstance(value, dict):
        return {k: int(v) if k == "support" else _plain(v) for k, v in value.items()}
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _predict(
    train: TrainingData,
    examples: Sequence[Example],
    progress: Progress | None,
    task: TaskID | None,
) -> list[Prediction]:
    """Train on `train`, then run every example through the full Interpreter."""
    from bot.model import train_model
    from bot.nlu import Interpreter

    model = train_model(train)
    interpreter = Interpreter(model, train.responses, synonyms=train.synonyms)
    predictions = []
    for example in examples:
        top = interpreter.parse(example.text).intent
        predictions.append(Prediction(example.text, example.intent, top.name, top.confidence))
        if progress is not None and task is not None:
            progress.advance(task)
    return predictions


def evaluate(
    train_data: TrainingData, test_data: TrainingData, *, progress: Progress | None = None
) -> EvaluationResult:
    """Train on `train_data` and predict every example of `test_data`.

    `progress`, when given, gets a task advancing over the test examples.
    """
    if not test_data.examples:
        raise ValueError("the test data has no examples")
    started = time.perf_counter()
    task = None
    if progress is not None:
        task = progress.add_task("training and predicting", total=len(test_data.examples))
    predictions = _predict(train_data, test_data.examples, progress, task)
    notes = []
    unseen = sorted({e.intent for e in test_data.examples} - set(train_data.intents))
    if unseen:
        notes.append(f"intents in the test data but not in training: {', '.join(unseen)}")
    return EvaluationResult(predictions, "held-out test data", time.perf_counter() - started, notes)


def cross_validate(
    data: TrainingData, folds: int = 5, seed: int = 42, *, progress: Progress | None = None
) -> EvaluationResult:
    """Stratified K-fold: train on K-1 parts, predict the held-out one, pool all predictions.

    Each example is predicted exactly once, by a model that never saw it. `progress`,
    when given, gets a task over the folds and one over the examples.
    """
    from sklearn.model_selection import StratifiedKFold

    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    examples = data.examples
    labels = [e.intent for e in examples]
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("cross-validation needs at least two intents with examples")
    if folds > max(counts.values()):
        raise ValueError(f"{folds} folds but no intent has that many examples: use fewer folds")
    notes = []
    small = sorted(intent for intent, n in counts.items() if n < folds)
    if small:
        notes.append(
            f"fewer examples than folds, so some folds do not test them: {', '.join(small)}"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # sklearn warns about the intents listed in `notes`; the split is still valid
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(np.zeros(len(labels)), labels))

    started = time.perf_counter()
    fold_task = example_task = None
    if progress is not None:
        fold_task = progress.add_task("folds", total=folds)
        example_task = progress.add_task("examples", total=len(examples))
    predictions: list[Prediction] = []
    for number, (train_rows, test_rows) in enumerate(splits, 1):
        if progress is not None and fold_task is not None:
            progress.update(fold_task, description=f"fold {number}/{folds}")
        train = replace(
            data,
            examples=[examples[i] for i in train_rows],
            fingerprint=f"{data.fingerprint}/fold{number}of{folds}",
        )
        held_out = [examples[i] for i in test_rows]
        predictions.extend(_predict(train, held_out, progress, example_task))
        if progress is not None and fold_task is not None:
            progress.advance(fold_task)
    return EvaluationResult(
        predictions,
        f"{folds}-fold cross-validation (seed {seed})",
        time.perf_counter() - started,
        notes,
    )


def _confusion_figure(result: EvaluationResult, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = result.labels
    matrix = result.confusion
    n = len(labels)
    side = max(6.0, 0.42 * n + 3.0)  # ~25 intents → about 13.5 in, labels stay legible
    fig = Figure(figsize=(side + 1.5, side), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # colour by the share of each true intent's sentences, so small intents still show
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02, label="share of the true intent")
    ticks = np.arange(n)
    font = 9 if n <= 30 else 7
    ax.set_xticks(ticks, labels, rotation=60, ha="right", rotation_mode="anchor", fontsize=font)
    ax.set_yticks(ticks, labels, fontsize=font)
    if n <= 40:
        for row in range(n):
            for col in range(n):
                if matrix[row, col]:
                    colour = "white" if shares[row, col] > 0.5 else "black"
                    ax.text(
                        col,
                        row,
                        str(matrix[row, col]),
                        ha="center",
                        va="center",
                        color=colour,
                        fontsize=font - 1,
                    )
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(f"Intent confusion matrix — accuracy {result.accuracy:.3f}")
    fig.savefig(path, dpi=100)


def _histogram_figure(result: EvaluationResult, path: Path) -> None:
    """Rasa's confidence distribution: wrong predictions to the left, correct to the right."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bins = np.linspace(0, 1, 21)
    correct = [p.confidence for p in result.predictions if p.correct]
    wrong = [p.confidence for p in result.predictions if not p.correct]
    correct_counts, _ = np.histogram(np.clip(correct, 0, 1), bins)
    wrong_counts, _ = np.histogram(np.clip(wrong, 0, 1), bins)
    fig = Figure(figsize=(9, 6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    centres = (bins[:-1] + bins[1:]) / 2
    height = (bins[1] - bins[0]) * 0.9
    ax.barh(
        centres, correct_counts, height=height, color="#2a9d8f", label=f"correct ({len(correct)})"
    )
    ax.barh(centres, -wrong_counts, height=height, color="#e76f51", label=f"wrong ({len(wrong)})")
    ax.axvline(0, color="black", linewidth=0.8)
    limit = max(1, int(correct_counts.max(initial=0)), int(wrong_counts.max(initial=0)))
    ax.set_xlim(-limit * 1.1, limit * 1.1)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{abs(int(x))}")
    ax.set_ylim(0, 1)
    ax.set_xlabel("number of test sentences")
    ax.set_ylabel("confidence of the top intent")
    ax.set_title("Intent prediction confidence distribution")
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=100)


def write_report(result: EvaluationResult, out_dir: Path | str) -> dict[str, Path]:
    """Write the report, the errors and both figures into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": out / REPORT_FILE,
        "errors": out / ERRORS_FILE,
        "confusion_matrix": out / CONFUSION_FILE,
        "histogram": out / HISTOGRAM_FILE,
    }
    paths["report"].write_text(
        json.dumps(result.report, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    paths["errors"].write_text(
        json.dumps(result.errors(), ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    _confusion_figure(result, paths["confusion_matrix"])
    _histogram_figure(result, paths["histogram"])
    return paths
