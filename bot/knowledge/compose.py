"""The knowledge a model is built from: the shipped `nlu_data/` plus the database's edits.

`nlu_data/` seeds the FAQ table once (`seed_entries`); from then on the database is the
truth for FAQ entries. The training data is nlu_data's other intents, responses and
synonyms + the workbench's extra intent examples + the database's ENABLED FAQ entries.
When nothing differs from the shipped files, the shipped data itself is returned, with
its file fingerprint, so the model trained on nlu_data still matches and nothing retrains.

`to_rasa_yaml` writes the entries back out as Rasa YAML for review in git.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import yaml

from bot.knowledge.records import FaqEntry, IntentExample
from bot.training_data import FAQ_PREFIX, Example, TrainingData

__all__ = ["answer_name", "compose", "seed_entries", "to_rasa_yaml"]

SEED_AUTHOR = "nlu_data"


def answer_name(key: str) -> str:
    """The response a FAQ entry answers with (`utter_faq/<key>`)."""
    return f"utter_{FAQ_PREFIX}{key}"


def seed_entries(data: TrainingData) -> list[FaqEntry]:
    """The FAQ entries as shipped: `faq/<key>` examples, `utter_faq/<key>`, the title."""
    grouped = data.examples_by_intent()
    entries = []
    for key in data.faq_keys:
        intent = FAQ_PREFIX + key
        questions = tuple(dict.fromkeys(e.text for e in grouped[intent]))
        entries.append(
            FaqEntry(
                key=key,
                questions=questions,
                answer=data.response(answer_name(key)) or "",
                title=data.titles.get(intent, ""),
                author=SEED_AUTHOR,
            )
        )
    return entries


def _taught(entries: Sequence[FaqEntry]) -> list[tuple]:
    """What of the enabled entries reaches the model: questions, answer, button title."""
    return sorted((e.key, e.questions, e.answer, e.title) for e in entries if e.enabled)


def compose(
    base: TrainingData, entries: Sequence[FaqEntry], examples: Sequence[IntentExample]
) -> TrainingData:
    """The training data: `base` (nlu_data) with its FAQ part replaced by `entries`."""
    taught = _taught(entries)
    extra = sorted((x.intent, x.text) for x in examples)
    if not extra and taught == _taught(seed_entries(base)):
        return base
    live = sorted((e for e in entries if e.enabled), key=lambda e: e.key)
    kept = [x for x in base.examples if not x.intent.startswith(FAQ_PREFIX)]
    added = [Example(text, intent, source="workbench example") for intent, text in extra]
    faq = [
        Example(question, entry.intent, source=f"FAQ entry {entry.key}", line=i + 1)
        for entry in live
        for i, question in enumerate(entry.questions)
    ]
    responses = {k: v for k, v in base.responses.items() if not k.startswith(answer_name(""))}
    responses |= {answer_name(e.key): [e.answer] for e in live}
    titles = {k: v for k, v in base.titles.items() if not k.startswith(FAQ_PREFIX)}
    titles |= {e.intent: e.title for e in live if e.title}
    edits = json.dumps([taught, extra], ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(f"{base.fingerprint}\0{edits}".encode()).hexdigest()[:16]
    return TrainingData(
        examples=kept + added + faq,
        responses=responses,
        synonyms=dict(base.synonyms),
        regexes={k: list(v) for k, v in base.regexes.items()},
        titles=titles,
        files=list(base.files),
        fingerprint=digest,
    )


class _Literal(str):
    """A string written as a YAML `|` block (Rasa's examples, multi-line answers)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Literal, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, "|")
)


def _block(lines: Sequence[str]) -> _Literal:
    return _Literal("".join(f"- {line}\n" for line in lines))


def to_rasa_yaml(
    entries: Sequence[FaqEntry], examples: Sequence[IntentExample] = (), *, all_entries=False
) -> str:
    """Rasa 3.x YAML of the enabled entries (or all) and the workbench's intent examples."""
    chosen = sorted((e for e in entries if all_entries or e.enabled), key=lambda e: e.key)
    nlu: list[dict[str, Any]] = []
    for entry in chosen:
        item: dict[str, Any] = {"intent": entry.intent}
        metadata = {
            "title": entry.title,
            "category": entry.category,
            "tags": list(entry.tags),
        }
        metadata = {k: v for k, v in metadata.items() if v}
        if not entry.enabled:
            metadata["enabled"] = False
        if metadata:
            item["metadata"] = metadata
        item["examples"] = _block(entry.questions)
        nlu.append(item)
    by_intent: dict[str, list[str]] = {}
    for example in sorted(examples, key=lambda x: (x.intent, x.id or 0)):
        by_intent.setdefault(example.intent, []).append(example.text)
    for intent, texts in by_intent.items():
        nlu.append({"intent": intent, "examples": _block(texts)})
    responses = {
        answer_name(e.key): [{"text": _Literal(e.answer) if "\n" in e.answer else e.answer}]
        for e in chosen
        if e.answer
    }
    document = {"version": "3.1", "nlu": nlu, "responses": responses}
    header = "# FAQ entries and intent examples exported from the Pasokhgoo workbench.\n"
    body = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return header + body
