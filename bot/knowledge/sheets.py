"""FAQ entries as spreadsheets (CSV and XLSX), and planning an import row by row.

One row per entry; the question variants go in one cell, one per line; tags are comma
separated. `plan_import` says, with spreadsheet row numbers (the header is row 1), which
rows would add an entry, change one (and which fields), change nothing, or be rejected
and why — the same rules as the API, checked against the entries as they would be after
the whole import.

CSV is written UTF-8 with a byte-order mark, so Excel shows Persian; a cell that Excel
would run as a formula (starting with = + - @) is written with a leading apostrophe, which
the import removes again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.errors import DataError
from bot.knowledge.records import FaqEntry
from bot.knowledge.rules import Problem, clean_entry, entry_problems, normalized

__all__ = [
    "COLUMNS",
    "ImportReport",
    "RowOutcome",
    "SheetRow",
    "plan_import",
    "read_sheet",
    "write_csv",
    "write_xlsx",
]

COLUMNS = (
    "key",
    "title",
    "category",
    "questions",
    "answer",
    "tags",
    "enabled",
    "author",
    "updated_at",
)
REQUIRED = ("key", "questions", "answer")
MAX_ROWS = 10_000
_FORMULA_START = ("=", "+", "-", "@")
_ALIASES = {  # headers a Persian spreadsheet may use
    "کلید": "key",
    "عنوان": "title",
    "دسته": "category",
    "دسته‌بندی": "category",
    "پرسش‌ها": "questions",
    "سؤال‌ها": "questions",
    "سوال‌ها": "questions",
    "پاسخ": "answer",
    "جواب": "answer",
    "برچسب‌ها": "tags",
    "فعال": "enabled",
}
_TRUE = {"true", "1", "yes", "y", "بله", "آری", "فعال"}
_FALSE = {"false", "0", "no", "n", "خیر", "نه", "غیرفعال", "غیر فعال"}
_TAG_SEPARATORS = str.maketrans({"،": ",", ";": ",", "؛": ","})


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # as the spreadsheet shows it; the header is row 1
    values: dict[str, str]  # by column name; a column absent from the sheet is absent here


@dataclass
class RowOutcome:
    row: int
    key: str
    action: str  # add | change | unchanged | reject
    fields: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "key": self.key}
        if self.action == "change":
            data["fields"] = self.fields
        if self.action == "reject":
            data["problems"] = [p.to_dict() for p in self.problems]
        return data


@dataclass
class ImportReport:
    outcomes: list[RowOutcome] = field(default_factory=list)
    # what applying writes: each entry carries the revision it replaces (0: new)
    changes: list[FaqEntry] = field(default_factory=list)
    applied: bool = False

    def _of(self, action: str) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.action == action]

    @property
    def added(self) -> list[RowOutcome]:
        return self._of("add")

    @property
    def changed(self) -> list[RowOutcome]:
        return self._of("change")

    @property
    def rejected(self) -> list[RowOutcome]:
        return self._of("reject")

    def to_dict(self) -> dict[str, Any]:
        groups = {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self._of("unchanged"),
            "rejected": self.rejected,
        }
        return {
            "applied": self.applied,
            "summary": {name: len(rows) for name, rows in groups.items()},
        } | {name: [o.to_dict() for o in rows] for name, rows in groups.items()}


# --- reading ----------------------------------------------------------------------------


def _column(header: str) -> str | None:
    name = header.strip().lower().replace(" ", "_")
    if name in COLUMNS:
        return name
    aliases = {normalized(k): v for k, v in _ALIASES.items()}
    return aliases.get(normalized(header.strip()))


def _rows(table: Iterable[tuple[int, list[str]]]) -> list[SheetRow]:
    iterator = iter(table)
    header_row = next(iterator, None)
    if header_row is None:
        raise DataError("the sheet is empty")
    columns = [_column(h) for h in header_row[1]]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError(
            f"the sheet has no {', '.join(repr(m) for m in missing)} column "
            f"(the header row names the columns: {', '.join(COLUMNS)})"
        )
    rows = []
    for number, cells in iterator:
        values = {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns) if c}
        if any(v.strip() for v in values.values()):
            rows.append(SheetRow(number, values))
        if len(rows) > MAX_ROWS:
            raise DataError(f"the sheet has more than {MAX_ROWS} rows")
    return rows


def _unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] in _FORMULA_START:
        return cell[1:]
    return cell


def _csv_rows(content: bytes) -> list[SheetRow]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError("a CSV file must be UTF-8 (Excel: Save As → CSV UTF-8)") from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        table = [(i, [_unescape(c) for c in cells]) for i, cells in enumerate(reader, 1)]
    except csv.Error as exc:
        raise DataError(f"the CSV file cannot be read: {exc}") from exc
    return _rows(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(content: bytes) -> list[SheetRow]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise DataError(f"the XLSX file cannot be read: {type(exc).__name__}") from exc
    try:
        sheet = book.worksheets[0]
        table = (
            (number, [_cell(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1)
        )
        return _rows(table)
    finally:
        book.close()


def read_sheet(content: bytes) -> list[SheetRow]:
    """The rows of a CSV or XLSX file (told apart by content, not by name)."""
    if content.startswith(b"PK\x03\x04"):
        return _xlsx_rows(content)
    return _csv_rows(content)


# --- planning an import -------------------------------------------------------------------


def _flag(value: str, where: str, problems: list[Problem]) -> bool | None:
    word = value.strip().lower()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    problems.append(
        Problem(where, "invalid_enabled", f"{value!r} is not true or false (also بله / خیر).")
    )
    return None


def _entry(row: SheetRow, current: FaqEntry | None) -> tuple[FaqEntry, list[Problem]]:
    """The entry a row describes; a column the sheet lacks keeps the current value."""
    v = row.values
    problems: list[Problem] = []
    base = current or FaqEntry(key="", questions=(), answer="")
    enabled = _flag(v["enabled"], "enabled", problems) if "enabled" in v else None
    tags = base.tags
    if "tags" in v:
        tags = tuple(t for t in v["tags"].translate(_TAG_SEPARATORS).split(",") if t.strip())
    entry = replace(
        base,
        key=v["key"].strip(),
        questions=tuple(q for q in v["questions"].splitlines() if q.strip()),
        answer=v["answer"],
        title=v.get("title", base.title),
        category=v.get("category", base.category),
        tags=tags,
        enabled=base.enabled if enabled is None else enabled,
        revision=current.revision if current else 0,
    )
    return clean_entry(entry), problems


def _changed_fields(before: FaqEntry, after: FaqEntry) -> list[str]:
    names = ("questions", "answer", "title", "category", "tags", "enabled")
    return [n for n in names if getattr(before, n) != getattr(after, n)]


def _others(final: dict[str, FaqEntry], key: str, before: FaqEntry | None) -> list[FaqEntry]:
    """The other entries a row is checked against. A question its entry already had stays
    its own: a row that gives it to another entry is the one refused."""
    kept = {normalized(q) for q in before.questions} if before else set()
    return [
        replace(e, questions=tuple(q for q in e.questions if normalized(q) not in kept))
        for k, e in final.items()
        if k != key
    ]


def plan_import(rows: Sequence[SheetRow], existing: Sequence[FaqEntry]) -> ImportReport:
    """What importing `rows` over `existing` would do, row by row (nothing is written)."""
    current = {e.key: e for e in existing}
    report = ImportReport()
    first_row: dict[str, int] = {}
    parsed: list[tuple[SheetRow, FaqEntry, list[Problem]]] = []
    for row in rows:
        key = row.values["key"].strip()
        entry, problems = _entry(row, current.get(key))
        if key and key in first_row:
            problems.append(
                Problem("key", "duplicate_key", f"Row {first_row[key]} has the key {key!r} too.")
            )
        else:
            first_row.setdefault(key, row.number)
        parsed.append((row, entry, problems))
    # every rule is checked against the entries as the whole import would leave them
    final = dict(current) | {e.key: e for _, e, p in parsed if not p}
    for row, entry, problems in parsed:
        before = current.get(entry.key)
        problems = problems + entry_problems(entry, _others(final, entry.key, before))
        if problems:
            report.outcomes.append(RowOutcome(row.number, entry.key, "reject", problems=problems))
        elif before is None:
            report.outcomes.append(RowOutcome(row.number, entry.key, "add"))
            report.changes.append(entry)
        elif before.content() == entry.content():
            report.outcomes.append(RowOutcome(row.number, entry.key, "unchanged"))
        else:
            fields = _changed_fields(before, entry)
            report.outcomes.append(RowOutcome(row.number, entry.key, "change", fields))
            report.changes.append(entry)
    return report


# --- writing ------------------------------------------------------------------------------


def _cells(entry: FaqEntry) -> list[str]:
    return [
        entry.key,
        entry.title,
        entry.category,
        "\n".join(entry.questions),
        entry.answer,
        ", ".join(entry.tags),
        "true" if entry.enabled else "false",
        entry.author,
        entry.updated_at.isoformat(timespec="seconds") if entry.updated_at else "",
    ]


def write_csv(entries: Sequence[FaqEntry]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow(["'" + c if c.startswith(_FORMULA_START) else c for c in _cells(entry)])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(entries: Sequence[FaqEntry]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "FAQ"
    sheet.sheet_view.rightToLeft = True
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for entry in entries:
        sheet.append(["" for _ in COLUMNS])
        for column, value in enumerate(_cells(entry), 1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)  # entries saved before cleaning
            cell.data_type = "s"  # text, even when it starts with "=": never a formula
            cell.alignment = wrap
    for letter, width in zip("ABCDEFGHI", (22, 28, 16, 60, 60, 20, 9, 14, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
