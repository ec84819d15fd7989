"""`pasokhgoo data validate`: each problem is reported at the file and line to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.validation import Finding, Severity, ValidationRules, validate_files

# Five distinct examples per intent: enough to pass the error threshold, few enough to
# draw the "recommended" warning.
GREET = ["سلام", "درود بر شما", "صبح بخیر", "سلام خسته نباشید", "روزتون بخیر"]
ORDER = [
    "سفارشم کجاست",
    "وضعیت سفارش من چیه",
    "بسته‌ام هنوز نرسیده",
    "مرسوله من کی میرسه",
    "پیگیری سفارش [۱۲۳۴۵۶۷](order_number)",
]
PHONE = [
    "شماره تلفن پشتیبانی چیه",
    "چطور با شما تماس بگیرم",
    "تلفن دفتر مرکزی",
    "با چه شماره‌ای زنگ بزنم",
    "راه تماس تلفنی با شما",
]


def block(intent: str, examples: list[str]) -> str:
    lines = [f"- intent: {intent}", "  examples: |"] + [f"    - {e}" for e in examples]
    return "\n".join(lines) + "\n"


def nlu_file(*blocks: str, responses: str = "") -> str:
    text = 'version: "3.1"\nnlu:\n' + "".join(blocks)
    if responses:
        text += "responses:\n" + responses
    return text


PHONE_ANSWER = '  utter_faq/contact_phone:\n  - text: "۰۲۱-۹۱۰۰۰۱۰۰"\n'

CLEAN = nlu_file(
    block("greet", GREET),
    block("order_status", ORDER),
    block("faq/contact_phone", PHONE),
    responses=PHONE_ANSWER,
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def warnings_(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.WARNING]


def test_clean_knowledge_base_has_no_errors(tmp_path: Path) -> None:
    write(tmp_path, "nlu.yml", CLEAN)
    _, findings = validate_files(tmp_path)
    assert errors(findings) == []


def test_invalid_yaml_is_one_error_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "broken.yml",
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - سلام\n  - intent: bye\n',
    )
    data, findings = validate_files(tmp_path)
    assert data is None
    assert len(findings) == 1
    assert findings[0].severity is Severity.ERROR
    assert (findings[0].path, findings[0].line) == (str(path), 6)
    assert "invalid YAML" in findings[0].message
    assert str(path) not in findings[0].message  # the location is shown once, apart


def test_example_line_without_dash_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "nlu.yml", nlu_file(block("greet", GREET)) + "    درود\n")
    _, findings = validate_files(tmp_path)
    assert [(f.path, f.line) for f in findings] == [(str(path), line_of(path, "    درود"))]


def test_same_sentence_under_two_intents_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yml", CLEAN)
    # the same sentence with other spelling: Arabic ي/ك and a question mark
    second = write(tmp_path, "b.yml", nlu_file(block("greet", ["وضعيت سفارش من چيه؟"])))
    _, findings = validate_files(first, second)
    [duplicate] = [f for f in errors(findings) if "example of both" in f.message]
    assert (duplicate.path, duplicate.line) == (str(second), 5)
    assert f"{first}:{line_of(first, 'وضعیت سفارش من چیه')}" in duplicate.message
    assert "'order_status'" in duplicate.message and "'greet'" in duplicate.message


def test_faq_intent_without_answer_is_an_error_at_the_intent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nlu.yml",
        nlu_file(block("greet", GREET), block("faq/contact_phone", PHONE)),
    )
    _, findings = validate_files(path)
    [missing] = errors(findings)
    assert (missing.path, missing.line) == (str(path), line_of(path, "faq/contact_phone"))
    assert "utter_faq/contact_phone" in missing.message


def test_answer_without_faq_intent_is_a_warning_at_the_response(tmp_path: Path) -> None:
    answer = '  utter_faq/opening_hours:\n  - text: "هر روز ۹ تا ۱۷"\n'
    path = write(tmp_path, "nlu.yml", nlu_file(block("greet", GREET), responses=answer))
    _, findings = validate_files(path, rules=ValidationRules(recommended_examples=5))
    assert errors(findings) == []
    [orphan] = warnings_(findings)
    assert (orphan.path, orphan.line) == (str(path), line_of(path, "utter_faq/opening_hours"))


def test_too_few_examples_error_below_minimum_warning_below_recommended(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nlu.yml",
        nlu_file(block("greet", GREET[:3]), block("order_status", ORDER)),
    )
    _, findings = validate_files(path)
    [few] = errors(findings)
    assert (few.path, few.line) == (str(path), line_of(path, "intent: greet"))
    assert "3 examples" in few.message
    [weak] = warnings_(findings)
    assert weak.line == line_of(path, "intent: order_status")
    assert "25" in weak.message


def test_near_duplicate_across_intents_is_a_warning(tmp_path: Path) -> None:
    near = "لطفا وضعیت سفارش من رو بگید کجاست"
    path = write(
        tmp_path,
        "nlu.yml",
        nlu_file(
            block("greet", [*GREET, "لطفا وضعیت سفارش من رو بگید که کجاست"]),
            block("order_status", [*ORDER, near]),
        ),
    )
    _, findings = validate_files(path, rules=ValidationRules(recommended_examples=5))
    assert errors(findings) == []
    [similar] = warnings_(findings)
    assert (similar.path, similar.line) == (str(path), line_of(path, near))
    assert "nearly the same" in similar.message


def test_unknown_entity_annotation_points_at_the_example(tmp_path: Path) -> None:
    orders = [*ORDER[:4], "سفارش [۱۲۳۴۵۶۷](order_num) کجاست"]
    path = write(tmp_path, "nlu.yml", nlu_file(block("greet", GREET), block("order", orders)))
    _, findings = validate_files(path, rules=ValidationRules(recommended_examples=5))
    [unknown] = findings
    assert unknown.severity is Severity.WARNING
    assert (unknown.path, unknown.line) == (str(path), line_of(path, "order_num"))
    assert "'order_num'" in unknown.message


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    _, findings = validate_files(tmp_path)
    assert [f.severity for f in findings] == [Severity.ERROR]


BROKEN = {
    "invalid yaml": 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - سلام\n  - x\n',
    "two intents": nlu_file(block("greet", [*GREET, "سفارشم کجاست"]), block("order_status", ORDER)),
    "faq without answer": nlu_file(block("greet", GREET), block("faq/contact_phone", PHONE)),
    "too few examples": nlu_file(block("greet", GREET[:2]), block("order_status", ORDER)),
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_cli_exits_1_on_errors_and_names_the_file(tmp_path: Path, text: str) -> None:
    write(tmp_path, "nlu.yml", text)
    code, output = run("data", "validate", "--data", str(tmp_path))
    assert code == 1
    assert "error" in output
    assert "nlu.yml" in output


def test_cli_exits_0_on_clean_data_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, "nlu.yml", CLEAN)
    code, output = run("data", "validate", "--data", str(tmp_path), "--recommended-examples", "5")
    assert code == 0, output
    assert "0 errors, 0 warnings" in output


def test_cli_warnings_alone_exit_0(tmp_path: Path) -> None:
    write(tmp_path, "nlu.yml", CLEAN)  # 5 examples per intent: below the recommended 25
    code, output = run("data", "validate", "--data", str(tmp_path))
    assert code == 0, output
    assert "0 errors, 3 warnings" in output
