"""IntentClassifier: ranking, probabilities, save → load, and the unfitted and empty cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from bot.classifier import IntentClassifier

# Already normalised (as `bot.text.normalize` returns them: no ZWNJ, `ارسالشده` glued),
# because the classifier never normalises.
TRAINING = {
    "order_status": [
        "سفارشم کی میرسه",
        "وضعیت سفارش من چیه",
        "سفارشم هنوز نرسیده",
        "کد پیگیری سفارشم رو میخوام",
        "بسته من کجاست",
        "سفارش من ارسالشده",
        "کی سفارشم تحویل داده میشه",
        "پیگیری سفارش",
    ],
    "refund": [
        "میخوام پولم رو پس بگیرم",
        "هزینه رو برگردونید",
        "درخواست بازگشت وجه دارم",
        "پول من کی برمیگرده",
        "مرجوع کردم ولی پولم نیومده",
        "بازپرداخت مبلغ سفارش",
        "لطفا وجه رو به حسابم برگردونید",
        "استرداد پول",
    ],
    "greeting": [
        "سلام",
        "سلام وقت بخیر",
        "درود",
        "سلام خسته نباشید",
        "صبح بخیر",
        "سلام روزتون بخیر",
        "عصر بخیر",
        "سلام علیکم",
    ],
    "operator": [
        "میخوام با یک اپراتور صحبت کنم",
        "وصلم کن به پشتیبان",
        "یک ادم واقعی میخوام",
        "با کارشناس حرف بزنم",
        "لطفا اپراتور",
        "شماره تماس پشتیبانی",
        "میشه با یه انسان صحبت کنم",
        "کارشناس پشتیبانی رو میخوام",
    ],
}
TEXTS = [text for examples in TRAINING.values() for text in examples]
LABELS = [intent for intent, examples in TRAINING.items() for _ in examples]

UNSEEN = ["سفارش من کجاست", "بستهام هنوز نرسیده", "پولم رو برگردونید", "سلام صبحتون بخیر"]


@pytest.fixture(scope="session")
def model() -> IntentClassifier:
    return IntentClassifier().fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("سفارش من کجاست", "order_status"),  # reordered words of a training example
        ("بستهام هنوز نرسیده", "order_status"),  # glued possessive the normaliser makes
        ("پولم رو برگردونید", "refund"),  # colloquial verb shared with one example
        ("بازگشت پول", "refund"),  # two words from two different examples
        ("سلام صبحتون بخیر", "greeting"),  # an inflected form never seen
        ("درود بر شما", "greeting"),  # one known word among new ones
        ("با اپراتور صحبت کنم", "operator"),  # a shortened training example
        ("کارشناس میخوام", "operator"),  # key word plus a word every intent uses
    ],
)
def test_rank_puts_the_right_intent_first_on_unseen_paraphrases(model, text, intent):
    assert model.rank(text)[0][0] == intent


def test_rank_is_sorted_covers_every_intent_and_honours_k(model):
    ranking = model.rank("سفارشم کی میرسه")
    assert sorted(intent for intent, _ in ranking) == sorted(TRAINING)
    confidences = [p for _, p in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert model.rank("سفارشم کی میرسه", k=2) == ranking[:2]


def test_probabilities_are_in_0_1_sum_to_1_and_match_rank(model):
    proba = model.predict_proba(UNSEEN)
    assert proba.shape == (len(UNSEEN), len(TRAINING))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    for text, row in zip(UNSEEN, proba, strict=True):
        ranked = dict(model.rank(text))
        np.testing.assert_allclose([ranked[c] for c in model.classes_], row)


def test_classes_are_the_training_intents(model):
    assert model.classes_ == sorted(TRAINING)
    assert list(model.predict(UNSEEN)) == ["order_status", "order_status", "refund", "greeting"]


def test_saved_and_loaded_state_predicts_identically(model, tmp_path):
    meta, arrays = model.to_state()
    (tmp_path / "intent.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    np.savez(tmp_path / "intent.npz", **arrays)

    loaded_meta = json.loads((tmp_path / "intent.json").read_text(encoding="utf-8"))
    with np.load(tmp_path / "intent.npz", allow_pickle=False) as loaded_arrays:
        restored = IntentClassifier.from_state(loaded_meta, loaded_arrays)

    probe = [*UNSEEN, "", "متنی کاملا بیربط"]
    np.testing.assert_allclose(restored.predict_proba(probe), model.predict_proba(probe))
    assert restored.rank("پولم رو برگردونید") == model.rank("پولم رو برگردونید")
    assert restored.get_params() == model.get_params()


def test_state_is_plain_numbers_and_json(model):
    meta, arrays = model.to_state()
    json.dumps(meta)
    for name, array in arrays.items():
        assert isinstance(array, np.ndarray), name
        assert array.dtype.kind in "fiub", f"{name} has dtype {array.dtype}"


def test_from_state_refuses_a_foreign_or_inconsistent_state(model):
    meta, arrays = model.to_state()
    with pytest.raises(ValueError, match="not an intent-classifier state"):
        IntentClassifier.from_state({**meta, "format": "something/else"}, arrays)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        IntentClassifier.from_state({**meta, "classes": meta["classes"][:-1]}, arrays)


def test_unfitted_classifier_raises_not_fitted():
    with pytest.raises(NotFittedError):
        IntentClassifier().rank("سلام")
    with pytest.raises(NotFittedError):
        IntentClassifier().predict_proba(["سلام"])


def test_empty_and_unknown_text_get_a_valid_ranking(model):
    for text in ("", "   ", "qwerty zzz"):
        ranking = model.rank(text)
        assert len(ranking) == len(TRAINING)
        assert sum(p for _, p in ranking) == pytest.approx(1.0)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=60))
def test_any_string_gets_a_valid_ranking(model, text):
    ranking = model.rank(text, k=3)
    assert len(ranking) == 3
    assert all(0.0 <= p <= 1.0 for _, p in ranking)


def test_calibration_is_fitted_and_params_follow_the_estimator_contract(model):
    assert 0 < model.temperature_ < 1  # SVM scores are small: a softmax must sharpen them
    assert clone(IntentClassifier(C=2.0, char_ngrams=(2, 6))).get_params()["C"] == 2.0


def test_an_intent_with_one_example_still_gets_a_usable_temperature():
    texts = [*TEXTS, "ساعت کاری فروشگاه"]
    labels = [*LABELS, "opening_hours"]
    model = IntentClassifier().fit(texts, labels)
    assert 0 < model.temperature_ < 1
    intent, confidence = model.rank("سفارشم کی میرسه")[0]
    assert intent == "order_status"
    assert confidence > 0.5


def test_two_intents_split_the_single_svm_hyperplane():
    texts = TRAINING["greeting"] + TRAINING["refund"]
    labels = ["greeting"] * 8 + ["refund"] * 8
    model = IntentClassifier().fit(texts, labels)
    assert model.rank("سلام صبحتون بخیر")[0][0] == "greeting"
    assert model.rank("پولم رو برگردونید")[0][0] == "refund"
    np.testing.assert_allclose(model.predict_proba(UNSEEN).sum(axis=1), 1.0)


def test_fit_refuses_a_single_intent_or_mismatched_lengths():
    with pytest.raises(ValueError, match="at least two intents"):
        IntentClassifier().fit(["سلام", "درود"], ["greeting", "greeting"])
    with pytest.raises(ValueError, match="labels"):
        IntentClassifier().fit(["سلام", "درود"], ["greeting"])
