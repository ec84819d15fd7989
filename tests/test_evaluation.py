"""Intent evaluation: Rasa-shaped reports, real figures, and scores a person can trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.evaluation import (
    EvaluationResult,
    Prediction,
    cross_validate,
    evaluate,
    write_report,
)
from bot.training_data import load_training_data

pytestmark = pytest.mark.slow

EXAMPLES = {
    "greet": [
        "سلام",
        "سلام وقت بخیر",
        "درود بر شما",
        "صبح بخیر",
        "عصر بخیر",
        "سلام خسته نباشید",
        "روزتون بخیر",
        "سلام دوست عزیز",
        "ظهر بخیر",
        "سلام علیکم",
    ],
    "order_status": [
        "سفارشم کجاست",
        "وضعیت سفارش من چیه",
        "سفارشم کی می‌رسه",
        "بسته‌ام هنوز نرسیده",
        "پیگیری سفارش",
        "سفارش ۱۲۳۴۵۶۷ در چه مرحله‌ای است",
        "مرسوله من کجاست",
        "کی سفارشم ارسال میشه",
        "سفارشم ارسال شده؟",
        "وضعیت ارسال بسته",
    ],
    "faq/contact_phone": [
        "شماره تلفن پشتیبانی چیه",
        "چطور با شما تماس بگیرم",
        "شماره تماس شرکت",
        "تلفن دفتر مرکزی",
        "با چه شماره‌ای زنگ بزنم",
        "شماره پشتیبانی تلفنی",
        "راه تماس تلفنی با شما",
        "تلفن‌تون رو بدید",
        "شماره تماس فروشگاه چنده",
        "میخوام زنگ بزنم به پشتیبانی",
    ],
    "faq/return_policy": [
        "چطور کالا رو مرجوع کنم",
        "شرایط مرجوعی کالا",
        "میخوام جنس رو پس بدم",
        "مهلت بازگرداندن کالا چند روزه",
        "امکان مرجوع کردن هست",
        "کالای معیوب رو چطور برگردونم",
        "سیاست بازگشت کالا",
        "پس دادن خرید",
        "مرجوعی چند روز طول میکشه",
        "آیا میتونم کالا رو برگردونم",
    ],
}

RESPONSES = """responses:
  utter_faq/contact_phone:
  - text: "با شماره ۰۲۱-۹۱۰۰۰۱۰۰ تماس بگیرید."
  utter_faq/return_policy:
  - text: "تا هفت روز پس از تحویل می‌توانید کالا را مرجوع کنید."
"""

INTENTS = sorted(EXAMPLES)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def nlu_yaml(with_responses: bool = True) -> str:
    parts = ['version: "3.1"\nnlu:\n']
    for intent, examples in EXAMPLES.items():
        parts.append(f"- intent: {intent}\n  examples: |\n")
        parts.extend(f"    - {text}\n" for text in examples)
    if with_responses:
        parts.append(RESPONSES)
    return "".join(parts)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kb")
    (folder / "nlu.yml").write_text(nlu_yaml(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cross_validated(data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    result = cross_validate(load_training_data(data_dir), folds=2, seed=7)
    out = tmp_path_factory.mktemp("cv")
    return result, write_report(result, out), out


def test_cross_validation_predicts_every_example_once(cross_validated) -> None:
    result, _, _ = cross_validated
    texts = sorted(p.text for p in result.predictions)
    assert texts == sorted(t for examples in EXAMPLES.values() for t in examples)


def test_cross_validation_report_has_rasas_shape(cross_validated) -> None:
    result, paths, out = cross_validated
    report = json.loads((out / "intent_report.json").read_text("utf-8"))
    assert paths["report"] == out / "intent_report.json"
    assert set(INTENTS) <= set(report)
    assert {"accuracy", "macro avg", "weighted avg"} <= set(report)
    for intent in INTENTS:
        row = report[intent]
        assert set(row) == {"precision", "recall", "f1-score", "support", "confused_with"}
        assert row["support"] == 10 and isinstance(row["support"], int)
        assert all(isinstance(n, int) and n > 0 for n in row["confused_with"].values())
        assert len(row["confused_with"]) <= 3
        assert intent not in row["confused_with"]
    assert 0.0 <= report["accuracy"] <= 1.0
    assert report["accuracy"] == pytest.approx(result.accuracy)
    assert report["weighted avg"]["support"] == 40


def test_cross_validation_errors_file_lists_every_wrong_prediction(cross_validated) -> None:
    result, _, out = cross_validated
    errors = json.loads((out / "intent_errors.json").read_text("utf-8"))
    wrong = sum(not p.correct for p in result.predictions)
    assert len(errors) == wrong
    for error in errors:
        assert set(error) == {"text", "intent", "intent_prediction"}
        assert set(error["intent_prediction"]) == {"name", "confidence"}
        assert error["intent"] != error["intent_prediction"]["name"]


@pytest.mark.parametrize("name", ["intent_confusion_matrix.png", "intent_histogram.png"])
def test_figures_are_real_pngs(cross_validated, name: str) -> None:
    _, _, out = cross_validated
    content = (out / name).read_bytes()
    assert content.startswith(PNG_MAGIC)
    assert len(content) > 10_000  # axes, labels and bars, not an empty canvas


def test_evaluating_on_the_training_sentences_is_perfect(tmp_path: Path) -> None:
    train = tmp_path / "train.yml"
    train.write_text(nlu_yaml(with_responses=False), encoding="utf-8")  # no answers needed
    test = tmp_path / "test.yml"
    test.write_text(nlu_yaml(), encoding="utf-8")
    result = evaluate(load_training_data(train), load_training_data(test))
    assert result.accuracy == 1.0
    assert result.macro_f1 == 1.0
    assert result.errors() == []


def test_confused_with_lists_the_three_commonest_mistakes() -> None:
    predictions = [
        Prediction("a", "order_status", "order_status", 0.9),
        *[Prediction("b", "order_status", "greet", 0.6)] * 3,
        *[Prediction("c", "order_status", "faq/return_policy", 0.5)] * 2,
        Prediction("d", "order_status", "faq/contact_phone", 0.4),
        Prediction("e", "order_status", "thanks", 0.3),
        Prediction("f", "greet", "greet", 0.8),
    ]
    report = EvaluationResult(predictions, "hand-made").report
    assert report["order_status"]["confused_with"] == {
        "greet": 3,
        "faq/return_policy": 2,
        "faq/contact_phone": 1,  # ties broken by name: faq/… before thanks
    }
    assert report["order_status"]["recall"] == pytest.approx(1 / 8)
    assert report["thanks"]["support"] == 0  # predicted but never true: still a row


def test_errors_are_listed_most_confident_first() -> None:
    result = EvaluationResult(
        [
            Prediction("کم", "greet", "thanks", 0.3),
            Prediction("زیاد", "greet", "thanks", 0.9),
            Prediction("درست", "thanks", "thanks", 0.8),
        ],
        "hand-made",
    )
    assert [e["text"] for e in result.errors()] == ["زیاد", "کم"]


def test_cli_cross_validate_prints_scores_and_writes_files(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = CliRunner().invoke(
        app,
        ["nlu", "cross-validate", "--data", str(data_dir), "--folds", "2", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    assert "macro F1" in result.output
    assert (out / "intent_report.json").exists()
    assert (out / "intent_confusion_matrix.png").exists()


def test_cli_evaluate_prints_perfect_accuracy(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    train = data_dir / "nlu.yml"
    result = CliRunner().invoke(
        app,
        ["nlu", "evaluate", "--train", str(train), "--test", str(train), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    assert "1.000" in result.output
    assert json.loads((out / "intent_errors.json").read_text("utf-8")) == []


def test_cli_refuses_more_folds_than_examples(data_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["nlu", "cross-validate", "--data", str(data_dir), "--folds", "11", "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "folds" in result.output
