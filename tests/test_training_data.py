"""Reading Rasa YAML: annotations stripped with offsets, lines remembered, errors located."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import DataError
from bot.training_data import load_training_data, parse_annotated

NLU = """\
version: "3.1"
nlu:
- intent: return_request
  examples: |
    - میخوام سفارش [۱۲۳۴۵۶۷](order_number) رو پس بدم
    - mikham kalamo pas bedam
- intent: faq/contact_phone
  metadata:
    title: شماره تلفن پشتیبانی
  examples: |
    - شماره تلفن پشتیبانی چنده؟
- synonym: مرجوع
  examples: |
    - مرجوعی
- regex: order_number
  examples: |
    - \\b[0-9]{6,12}\\b
responses:
  utter_faq/contact_phone:
  - text: "۰۲۱-۹۱۰۰۰۱۰۰"
"""


@pytest.mark.parametrize(
    ("raw", "text", "spans"),
    [
        ("سفارش [۱۲۳](order_number) رو", "سفارش ۱۲۳ رو", [("order_number", "۱۲۳", 6, 9)]),
        ("[a@b.co](email)", "a@b.co", [("email", "a@b.co", 0, 6)]),
        ('[تهران]{"entity": "city", "value": "tehran"}', "تهران", [("city", "tehran", 0, 5)]),
        ("[مرجوعی](topic:return)", "مرجوعی", [("topic", "return", 0, 6)]),
        ("بدون برچسب", "بدون برچسب", []),
    ],
)
def test_parse_annotated(raw: str, text: str, spans: list) -> None:
    plain, annotations = parse_annotated(raw)
    assert plain == text
    assert [(a.entity, a.value, a.start, a.end) for a in annotations] == spans
    for annotation in annotations:
        assert plain[annotation.start : annotation.end] in (annotation.value, text)


def test_load(tmp_path: Path) -> None:
    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    data = load_training_data(tmp_path)
    assert data.intents == ["faq/contact_phone", "return_request"]
    assert data.faq_keys == ["contact_phone"]
    first = data.examples[0]
    assert first.text == "میخوام سفارش ۱۲۳۴۵۶۷ رو پس بدم"
    assert first.line == 5 and first.source.endswith("nlu.yml")
    assert first.entities[0].value == "۱۲۳۴۵۶۷"
    assert data.synonyms == {"مرجوعی": "مرجوع"}
    assert data.titles == {"faq/contact_phone": "شماره تلفن پشتیبانی"}
    assert data.regexes == {"order_number": ["\\b[0-9]{6,12}\\b"]}
    assert data.response("utter_faq/contact_phone") == "۰۲۱-۹۱۰۰۰۱۰۰"
    assert len(data.fingerprint) == 16


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    before = load_training_data(path).fingerprint
    path.write_text(NLU.replace("چنده", "چند است"), encoding="utf-8")
    assert load_training_data(path).fingerprint != before


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (
            'version: "3.1"\nnlu:\n- intent: greet: hello\n  examples: |\n    - سلام\n',
            3,
            "invalid YAML",
        ),
        ('version: "3.1"\nnlu:\n- intent: greet\n', 3, "without examples"),
        (
            'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - سلام\n    درود\n',
            6,
            "must start with '- '",
        ),
        ('version: "3.1"\nresponses:\n  utter_greet: []\n', 3, "no text"),
    ],
)
def test_errors_point_at_file_and_line(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        load_training_data(path)
    assert caught.value.line == line
    assert caught.value.path == str(path)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_training_data(tmp_path / "nope.yml")
