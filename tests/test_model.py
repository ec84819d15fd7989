"""The saved model: save → load gives the same understanding; a model built for another
normaliser or format refuses to load with a message that says to retrain; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import ModelMismatchError, ModelNotFoundError
from bot.model import load_model
from bot.nlu import Interpreter

QUESTIONS = [
    "شماره تلفن پشتیبانی چنده؟",
    "mikham kalamo pas bedam",
    "ايميل پشتيباني",
    "سفارش ۱۲۳۴۵۶۷ رو میخوام مرجوع کنم",
    "هوا فردا چطوره",
    "",
]


def test_save_load_gives_the_same_understanding(model_dir: Path, knowledge_base) -> None:
    first, second = load_model(model_dir), load_model(model_dir)
    a = Interpreter(first, knowledge_base.responses)
    b = Interpreter(second, knowledge_base.responses)
    for text in QUESTIONS:
        pa, pb = a.parse(text), b.parse(text)
        assert [s.name for s in pa.ranking] == [s.name for s in pb.ranking]
        np.testing.assert_allclose(
            [s.confidence for s in pa.ranking], [s.confidence for s in pb.ranking]
        )
        assert pa.to_rasa() == pb.to_rasa()


def test_manifest_says_what_the_model_is(model_dir: Path, knowledge_base) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text("utf-8"))
    assert manifest["data_hash"] == knowledge_base.fingerprint
    assert len(manifest["normalizer"]) == 16
    assert {"hazm", "scikit-learn", "python"} <= set(manifest["versions"])
    assert manifest["counts"]["faq_keys"] == 14
    assert not list(model_dir.glob("*.pkl")) and not list(model_dir.glob("*.joblib"))


def copy_model(model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    target.mkdir()
    for path in model_dir.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"normalizer": "0000000000000000"}, "normaliser"),  # hazm or the text rules changed
        ({"format": 99}, "format"),  # written by another version of Pasokhgoo
    ],
)
def test_a_mismatched_model_refuses_to_load(
    model_dir: Path, tmp_path: Path, change: dict, message: str
) -> None:
    copy = copy_model(model_dir, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text("utf-8"))
    (copy / "manifest.json").write_text(json.dumps(manifest | change), "utf-8")
    with pytest.raises(ModelMismatchError, match=message) as caught:
        load_model(copy)
    assert "pasokhgoo train" in str(caught.value)


def test_no_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="pasokhgoo train"):
        load_model(tmp_path / "nothing")


def test_ask_shows_the_parse_the_action_and_the_reply(model_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["ask", "shomare telephone poshtibani chande?", "--model", str(model_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "faq/contact_phone" in result.output
    assert "action: answer" in result.output
    assert "۰۲۱-۹۱۰۰۰۱۰۰" in result.output


def test_ask_json_is_rasa_shaped(model_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["ask", "سفارش ۱۲۳۴۵۶۷ رو پس بدم", "--json", "--model", str(model_dir)]
    )
    parse = json.loads(result.output)
    assert parse["intent"]["name"] == "return_request"
    assert parse["entities"][0]["value"] == "1234567"
