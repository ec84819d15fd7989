"""Spreadsheet import and export (CSV and XLSX, over the API and the CLI): round trips,
a dry run that reports bad rows by number and changes nothing, an import that applies
all rows or none, and `pasokhgoo faq export --format rasa`."""

from __future__ import annotations

import csv
import io

import pytest
from apihelpers import ADMIN, assert_error
from typer.testing import CliRunner
from workbenchkit import GIFT_CARD, small_settings

from bot.cli import app
from bot.knowledge.sheets import COLUMNS, read_sheet
from bot.training_data import load_training_data

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def admin(serve, tmp_path):
    with serve(**small_settings(tmp_path)) as client:
        yield client


def _entries(client) -> list[dict]:
    return client.get("/v1/admin/faq", headers=ADMIN).json()["entries"]


def _content(entries: list[dict]) -> list[tuple]:
    fields = ("key", "title", "category", "questions", "answer", "tags", "enabled")
    return [tuple(str(e[f]) for f in fields) for e in entries]


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["key", "title", "questions", "answer", "enabled"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _upload(client, content: bytes, name: str = "faq.csv", **params):
    files = {"file": (name, content, "application/octet-stream")}
    return client.post("/v1/admin/faq/import", headers=ADMIN, files=files, params=params)


def test_control_characters_are_dropped_and_the_export_still_opens(admin) -> None:
    typed = GIFT_CARD | {
        "answer": "کارت هدیه\x01 دارید\x1b[31m؟\nخط دوم",
        "questions": ["کارت\x00 هدیه دارید؟", *GIFT_CARD["questions"][1:]],
    }
    created = admin.post("/v1/admin/faq", headers=ADMIN, json=typed)
    assert created.status_code == 201, created.text
    entry = created.json()["entry"]
    assert entry["answer"] == "کارت هدیه دارید[31m؟\nخط دوم"  # the newline is kept
    assert entry["questions"][0] == "کارت هدیه دارید؟"

    exported = admin.get("/v1/admin/faq/export", headers=ADMIN, params={"format": "xlsx"})
    assert exported.status_code == 200
    answers = [r.values["answer"] for r in read_sheet(exported.content)]
    assert "کارت هدیه دارید[31m؟\nخط دوم" in answers


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_round_trips(admin, fmt: str) -> None:
    # an answer Excel would run as a formula, a multi-line answer, tags, a draft
    admin.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD | {"answer": "=۲+۲\nخط دوم"})
    admin.patch("/v1/admin/faq/support_hours", headers=ADMIN, json={"enabled": False})
    before = _entries(admin)

    exported = admin.get("/v1/admin/faq/export", headers=ADMIN, params={"format": fmt})
    assert exported.status_code == 200
    assert f'filename="faq.{fmt}"' in exported.headers["content-disposition"]
    if fmt == "xlsx":
        assert exported.headers["content-type"] == XLSX
    else:
        assert exported.content.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for UTF-8
        assert "'=۲+۲" in exported.content.decode("utf-8-sig")  # never a formula in Excel
    rows = read_sheet(exported.content)
    assert [r.number for r in rows] == [2, 3, 4]
    assert set(rows[0].values) == set(COLUMNS)

    report = _upload(admin, exported.content, f"faq.{fmt}").json()
    assert report["applied"] is False
    assert report["summary"] == {"added": 0, "changed": 0, "unchanged": 3, "rejected": 0}
    assert _entries(admin) == before

    # edited in the spreadsheet: one answer changed, one entry deleted from the database
    admin.delete("/v1/admin/faq/gift_card", headers=ADMIN)
    changed = admin.patch("/v1/admin/faq/contact_phone", headers=ADMIN, json={"answer": "قدیمی"})
    assert changed.status_code == 200, changed.text
    report = _upload(admin, exported.content, f"faq.{fmt}", dry_run="false").json()
    assert report["applied"] is True
    assert report["added"] == [{"row": 3, "key": "gift_card"}]
    assert report["changed"] == [{"row": 2, "key": "contact_phone", "fields": ["answer"]}]
    assert _content(_entries(admin)) == _content(before)
    history = admin.get("/v1/admin/faq/gift_card/history", headers=ADMIN).json()["history"]
    assert history[0]["action"] == "import"


def test_dry_run_reports_bad_rows_by_number_and_changes_nothing(admin) -> None:
    before = _entries(admin)
    sheet = _csv(
        [
            {"key": "gift_card", "questions": "\n".join(GIFT_CARD["questions"]), "answer": "پاسخ"},
            {"key": "no_answer", "questions": "الف\nب\nپ", "answer": ""},
            {"key": "two_only", "questions": "سؤال اول\nسؤال دوم", "answer": "پاسخ"},
            {"key": "taken", "questions": "شماره پشتیبانی\nیک\nدو", "answer": "پاسخ"},
            {"key": "gift_card", "questions": "x\ny\nz", "answer": "پاسخ"},
            {"key": "Bad Key", "questions": "۱\n۲\n۳", "answer": "پاسخ", "enabled": "شاید"},
            {
                "key": "contact_phone",
                "title": before[0]["title"],
                "questions": "\n".join(before[0]["questions"]),
                "answer": "نو",
            },
        ]
    )
    report = _upload(admin, sheet, dry_run="true").json()
    assert report["dry_run"] is True and report["applied"] is False
    assert report["added"] == [{"row": 2, "key": "gift_card"}]
    assert report["changed"] == [{"row": 8, "key": "contact_phone", "fields": ["answer"]}]
    rejected = {r["row"]: {p["type"] for p in r["problems"]} for r in report["rejected"]}
    assert rejected == {
        3: {"empty_answer"},
        4: {"too_few_questions"},
        5: {"question_taken"},
        6: {"duplicate_key"},
        7: {"invalid_key", "invalid_enabled"},
    }
    assert _entries(admin) == before

    # for real, the same file is refused whole, row numbers in the details
    error = assert_error(_upload(admin, sheet), 422, "import_rejected")
    assert {d["row"] for d in error["details"]} == {3, 4, 5, 6, 7}
    assert all({"row", "key", "field", "type", "message"} <= set(d) for d in error["details"])
    assert _entries(admin) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,text\nx,y\n", "no 'key', 'questions', 'answer' column"),
        ("key,questions,answer\n".encode("utf-16"), "UTF-8"),
        (b"PK\x03\x04 not really a zip", "XLSX"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_are_refused(admin, content: bytes, message: str) -> None:
    error = assert_error(_upload(admin, content, dry_run="true"), 422, "invalid_file")
    assert message in error["message"]


def test_persian_headers_and_a_large_file_limit(admin) -> None:
    sheet = 'کلید,پرسش‌ها,پاسخ,فعال\ngift_card,"الف\nب\nپ",پاسخ,خیر\n'.encode()
    report = _upload(admin, sheet).json()
    assert report["added"] == [{"row": 2, "key": "gift_card"}]
    assert admin.get("/v1/admin/faq/gift_card", headers=ADMIN).json()["entry"]["enabled"] is False
    too_big = b"key,questions,answer\n" + b"x" * (6 * 1024 * 1024)
    assert_error(_upload(admin, too_big), 413, "payload_too_large")


def test_cli_exports_rasa_yaml_and_imports_a_sheet(tmp_path, monkeypatch) -> None:
    settings = small_settings(tmp_path)
    monkeypatch.setenv("PASOKHGOO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PASOKHGOO_DATA_DIR", str(settings["data_dir"]))
    runner = CliRunner()

    sheet = tmp_path / "new.csv"
    sheet.write_bytes(
        _csv(
            [{"key": "gift_card", "questions": "\n".join(GIFT_CARD["questions"]), "answer": "پاسخ"}]
        )
    )
    dry = runner.invoke(app, ["faq", "import", str(sheet), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "gift_card" in dry.output and "1 added" in dry.output

    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([{"key": "bad", "questions": "یک", "answer": ""}]))
    refused = runner.invoke(app, ["faq", "import", str(bad)])
    assert refused.exit_code == 1
    assert "too_few_questions" not in refused.output  # people read the messages
    assert "Nothing was imported" in refused.output

    assert runner.invoke(app, ["faq", "import", str(sheet), "--author", "maryam"]).exit_code == 0
    out = tmp_path / "export" / "faq.yml"
    exported = runner.invoke(app, ["faq", "export", "--format", "rasa", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    data = load_training_data(out)
    assert data.faq_keys == ["contact_phone", "gift_card", "support_hours"]
    assert data.response("utter_faq/gift_card") == "پاسخ"

    to_stdout = runner.invoke(app, ["faq", "export", "--format", "csv"])
    assert to_stdout.exit_code == 0
    assert [r.values["key"] for r in read_sheet(to_stdout.stdout_bytes)] == [
        "contact_phone",
        "gift_card",
        "support_hours",
    ]
