"""What makes a FAQ entry valid — pure functions, shared by the API, imports and drafts.

An enabled entry needs an answer and at least `MIN_QUESTIONS` distinct question variants,
none of them a variant of another entry (after normalising, so `ي`/`ی` or a half-space
do not make a new question). A disabled entry is a draft: it may lack an answer or
variants until someone enables it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.knowledge.records import FaqEntry
from bot.text import normalize

__all__ = [
    "KEY_PATTERN",
    "MIN_QUESTIONS",
    "Problem",
    "clean_entry",
    "clean_text",
    "entry_problems",
    "normalized",
]

MIN_QUESTIONS = 3  # fewer variants teach the classifier too little to answer paraphrases
MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 4000
MAX_TITLE_CHARS = 80  # a suggestion button's label
MAX_TAG_CHARS = 40
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")  # Rasa's faq/<key>: ASCII, no spaces
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Problem:
    """One refused field: `field` as the API names it (`questions[2]`), a stable `type`."""

    field: str
    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "type": self.type, "message": self.message}


@functools.lru_cache(maxsize=50_000)
def normalized(text: str) -> str:
    """The matching form of a question (cached: every edit compares against all entries)."""
    return normalize(text)


# control characters other than tab and newlines: never meant, and no spreadsheet (XLSX
# export) or terminal takes them
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """One line, single spaces: how a question variant or example is stored."""
    return _SPACES.sub(" ", _CONTROLS.sub("", text)).strip()


def clean_entry(entry: FaqEntry) -> FaqEntry:
    """Tidy what editors type: trimmed fields, single-line questions, no empty tags."""
    tags = tuple(dict.fromkeys(t for t in (clean_text(t) for t in entry.tags) if t))
    return replace(
        entry,
        key=_CONTROLS.sub("", entry.key).strip(),
        questions=tuple(clean_text(q) for q in entry.questions),
        answer=_CONTROLS.sub("", entry.answer).strip(),
        title=clean_text(entry.title),
        category=clean_text(entry.category),
        tags=tags,
    )


def _question_owners(others: Iterable[FaqEntry], key: str) -> dict[str, str]:
    owners: dict[str, str] = {}
    for other in others:
        if other.key == key:
            continue
        for question in other.questions:
            owners.setdefault(normalized(question), other.key)
    return owners


def entry_problems(
    entry: FaqEntry, others: Iterable[FaqEntry], *, key_taken: bool = False
) -> list[Problem]:
    """Every rule `entry` breaks against the `others` (entries of other keys).

    `key_taken`: the entry is new but its key already exists.
    """
    problems: list[Problem] = []
    if not KEY_PATTERN.match(entry.key):
        problems.append(
            Problem(
                "key",
                "invalid_key",
                "A key is 1–64 lower-case Latin letters, digits or '_', e.g. gift_card.",
            )
        )
    elif key_taken:
        problems.append(Problem("key", "duplicate_key", f"An entry {entry.key!r} exists."))
    owners = _question_owners(others, entry.key)
    seen: dict[str, int] = {}
    for i, question in enumerate(entry.questions):
        where = f"questions[{i}]"
        norm = normalized(question) if question else ""
        if not norm:
            problems.append(Problem(where, "empty_question", "A question variant is empty."))
        elif len(question) > MAX_QUESTION_CHARS:
            problems.append(
                Problem(
                    where,
                    "question_too_long",
                    f"A question variant has at most {MAX_QUESTION_CHARS} characters.",
                )
            )
        elif norm in seen:
            problems.append(
                Problem(
                    where,
                    "duplicate_question",
                    f"{question!r} repeats questions[{seen[norm]}] of this entry.",
                )
            )
        elif norm in owners:
            problems.append(
                Problem(
                    where,
                    "question_taken",
                    f"{question!r} is already a question of the entry {owners[norm]!r}.",
                )
            )
        if norm:
            seen.setdefault(norm, i)
    if entry.enabled and len(seen) < MIN_QUESTIONS:
        problems.append(
            Problem(
                "questions",
                "too_few_questions",
                f"An enabled entry needs at least {MIN_QUESTIONS} different question "
                f"variants; it has {len(seen)}.",
            )
        )
    if not entry.enabled and not entry.questions:
        problems.append(Problem("questions", "too_few_questions", "A draft needs a question."))
    if entry.enabled and not entry.answer:
        problems.append(Problem("answer", "empty_answer", "An enabled entry needs an answer."))
    if len(entry.answer) > MAX_ANSWER_CHARS:
        problems.append(
            Problem(
                "answer", "answer_too_long", f"An answer has at most {MAX_ANSWER_CHARS} characters."
            )
        )
    if len(entry.title) > MAX_TITLE_CHARS:
        problems.append(
            Problem("title", "title_too_long", f"A title has at most {MAX_TITLE_CHARS} characters.")
        )
    for i, tag in enumerate(entry.tags):
        if len(tag) > MAX_TAG_CHARS:
            problems.append(
                Problem(
                    f"tags[{i}]", "tag_too_long", f"A tag has at most {MAX_TAG_CHARS} characters."
                )
            )
    return problems
