"""Checking the knowledge base before training: what would make the bot answer wrongly.

`validate(data)` returns `Finding`s — an error blocks training on data that cannot be
right (one sentence taught as two intents, a FAQ entry with no answer), a warning points
at data that is probably weak (too few examples, near-identical sentences across two
intents). `validate_files(*paths)` also turns a file the loader refuses into one finding,
so `pasokhgoo data validate` and the admin API report every problem the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import yaml

from bot.errors import DataError
from bot.text import normalize
from bot.training_data import FAQ_PREFIX, Example, TrainingData, load_training_data

__all__ = [
    "KNOWN_ENTITY_TYPES",
    "Finding",
    "Severity",
    "ValidationRules",
    "has_errors",
    "validate",
    "validate_files",
]

# What `bot.entities.extract_entities` can find; an annotation of any other type is never
# filled at serve time, so it only teaches the model a label it will not see.
KNOWN_ENTITY_TYPES = frozenset({"order_number", "phone", "email", "tracking_code"})

RESPONSE_PREFIX = "utter_"

# Rows of the character-n-gram matrix compared against all others at once: bounds memory
# to CHUNK × examples floats (about 45 MB for MASSIVE's 11 500 training sentences).
_CHUNK = 1000


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in the knowledge base, located at a file and line when known."""

    severity: Severity
    message: str
    path: str | None = None
    line: int = 0

    @property
    def location(self) -> str:
        if not self.path:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """Thresholds: an intent needs `min_examples` (error below) and should have
    `recommended_examples` (warning below); sentences of two intents whose character
    3-gram sets overlap by at least `similarity` (Jaccard) are flagged as near-duplicates."""

    min_examples: int = 5
    recommended_examples: int = 25
    similarity: float = 0.9
    entity_types: frozenset[str] = field(default=KNOWN_ENTITY_TYPES)

    def __post_init__(self) -> None:
        if not 0 < self.similarity <= 1:
            raise ValueError("similarity must lie in (0, 1]")
        if self.min_examples > self.recommended_examples:
            raise ValueError("min_examples must not exceed recommended_examples")


@dataclass(frozen=True, slots=True)
class _Place:
    path: str
    line: int


def _where(example: Example) -> str:
    return f"{example.source}:{example.line}" if example.source else "?"


def _yaml_places(files: Iterable[Path]) -> tuple[dict[str, _Place], dict[str, _Place]]:
    """Where each intent (its `- intent:` line) and each response is first declared.

    `TrainingData` keeps lines for examples only; intents and responses are located by
    reading the node tree again. A file the loader accepted always composes here too.
    """
    intents: dict[str, _Place] = {}
    responses: dict[str, _Place] = {}
    for path in files:
        try:
            root = yaml.compose(Path(path).read_text("utf-8"), Loader=yaml.SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(root, yaml.MappingNode):
            continue
        for key, value in root.value:
            if key.value == "nlu" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if not isinstance(item, yaml.MappingNode):
                        continue
                    for field_key, field_value in item.value:
                        if field_key.value == "intent" and isinstance(field_value, yaml.ScalarNode):
                            place = _Place(str(path), field_key.start_mark.line + 1)
                            intents.setdefault(str(field_value.value).strip(), place)
            elif key.value == "responses" and isinstance(value, yaml.MappingNode):
                for name, _ in value.value:
                    place = _Place(str(path), name.start_mark.line + 1)
                    responses.setdefault(str(name.value), place)
    return intents, responses


def _intent_place(intent: str, examples: Sequence[Example], places: dict[str, _Place]) -> _Place:
    if intent in places:
        return places[intent]
    return _Place(examples[0].source, examples[0].line)


def _exact_duplicates(examples: Sequence[Example], normalized: Sequence[str]) -> Iterator[Finding]:
    """The same sentence (after normalising) taught as two or more intents."""
    groups: dict[str, list[Example]] = {}
    for example, norm in zip(examples, normalized, strict=True):
        if norm:
            groups.setdefault(norm, []).append(example)
    for group in groups.values():
        first = group[0]
        seen = {first.intent}
        for other in group[1:]:
            if other.intent in seen:
                continue
            seen.add(other.intent)
            yield Finding(
                Severity.ERROR,
                f"{other.text!r} is an example of both {first.intent!r} ({_where(first)}) "
                f"and {other.intent!r} ({_where(other)})",
                other.source or None,
                other.line,
            )


def _near_duplicates(
    examples: Sequence[Example], normalized: Sequence[str], threshold: float
) -> Iterator[Finding]:
    """Pairs of sentences of different intents whose character 3-grams nearly coincide."""
    from sklearn.feature_extraction.text import CountVectorizer

    rows = [i for i, norm in enumerate(normalized) if norm]
    if len(rows) < 2:
        return
    texts = [normalized[i] for i in rows]
    vectorizer = CountVectorizer(
        analyzer="char_wb", ngram_range=(3, 3), binary=True, lowercase=False, dtype=np.float32
    )
    grams = vectorizer.fit_transform(texts).tocsr()
    sizes = np.asarray(grams.sum(axis=1)).ravel()
    _, intent_codes = np.unique([examples[i].intent for i in rows], return_inverse=True)
    _, text_codes = np.unique(texts, return_inverse=True)
    by_column = grams.T.tocsc()
    for start in range(0, len(rows), _CHUNK):
        stop = min(start + _CHUNK, len(rows))
        shared = (grams[start:stop] @ by_column).toarray()
        union = sizes[start:stop, None] + sizes[None, :] - shared
        jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        left, right = np.nonzero(jaccard >= threshold)
        left += start
        keep = (
            (left < right)
            & (intent_codes[left] != intent_codes[right])
            & (text_codes[left] != text_codes[right])  # identical ones are errors already
        )
        for i, j in zip(left[keep], right[keep], strict=True):
            a, b = examples[rows[i]], examples[rows[j]]
            score = jaccard[i - start, j]
            yield Finding(
                Severity.WARNING,
                f"{b.text!r} ({b.intent}) is nearly the same as {a.text!r} ({a.intent}, "
                f"{_where(a)}): similarity {score:.2f}",
                b.source or None,
                b.line,
            )


def _example_counts(
    grouped: dict[str, list[Example]], places: dict[str, _Place], rules: ValidationRules
) -> Iterator[Finding]:
    for intent in sorted(grouped):
        count = len(grouped[intent])
        if count >= rules.recommended_examples:
            continue
        place = _intent_place(intent, grouped[intent], places)
        if count < rules.min_examples:
            severity = Severity.ERROR
            need = f"at least {rules.min_examples} are needed"
        else:
            severity = Severity.WARNING
            need = f"{rules.recommended_examples} or more are recommended"
        yield Finding(
            severity,
            f"intent {intent!r} has {count} example{'s' if count != 1 else ''}; {need}",
            place.path or None,
            place.line,
        )


def _faq_responses(
    data: TrainingData,
    grouped: dict[str, list[Example]],
    intent_places: dict[str, _Place],
    response_places: dict[str, _Place],
) -> Iterator[Finding]:
    intents = set(grouped)
    for key in data.faq_keys:
        intent = FAQ_PREFIX + key
        response = RESPONSE_PREFIX + intent
        if response not in data.responses:
            place = _intent_place(intent, grouped[intent], intent_places)
            yield Finding(
                Severity.ERROR,
                f"FAQ intent {intent!r} has no answer: add a response {response!r}",
                place.path or None,
                place.line,
            )
    faq_response_prefix = RESPONSE_PREFIX + FAQ_PREFIX
    for name in sorted(data.responses):
        intent = name.removeprefix(RESPONSE_PREFIX)
        if name.startswith(faq_response_prefix) and intent not in intents:
            place = response_places.get(name)
            yield Finding(
                Severity.WARNING,
                f"response {name!r} answers a FAQ with no examples: add an intent "
                f"{intent!r} or remove the response",
                place.path if place else None,
                place.line if place else 0,
            )


def _entity_types(examples: Sequence[Example], known: frozenset[str]) -> Iterator[Finding]:
    for example in examples:
        for annotation in example.entities:
            if annotation.entity not in known:
                yield Finding(
                    Severity.WARNING,
                    f"entity {annotation.entity!r} in {example.text!r} is not one the bot "
                    f"extracts ({', '.join(sorted(known))})",
                    example.source or None,
                    example.line,
                )


def _order(finding: Finding) -> tuple[int, str, int]:
    return (finding.severity is not Severity.ERROR, finding.path or "", finding.line)


def validate(data: TrainingData, rules: ValidationRules | None = None) -> list[Finding]:
    """Every problem found in loaded training data, errors first, then by file and line."""
    rules = rules or ValidationRules()
    if not data.examples:
        where = ", ".join(str(f) for f in data.files) or "the knowledge base"
        return [Finding(Severity.ERROR, f"no intent examples found in {where}")]
    intent_places, response_places = _yaml_places(data.files)
    grouped = data.examples_by_intent()
    normalized = [normalize(e.text) for e in data.examples]
    findings = [
        *_exact_duplicates(data.examples, normalized),
        *_near_duplicates(data.examples, normalized, rules.similarity),
        *_example_counts(grouped, intent_places, rules),
        *_faq_responses(data, grouped, intent_places, response_places),
        *_entity_types(data.examples, rules.entity_types),
    ]
    return sorted(findings, key=_order)


def _strip_location(message: str, path: str | None, line: int) -> str:
    """DataError messages start with `path:line:`; the finding carries those apart."""
    for prefix in (f"{path}:{line}: ", f"{path}: "):
        if path and message.startswith(prefix):
            return message.removeprefix(prefix)
    return message


def validate_files(
    *paths: Path | str, rules: ValidationRules | None = None
) -> tuple[TrainingData | None, list[Finding]]:
    """Load and validate; a file the loader refuses becomes one error finding.

    Returns the loaded data (None when loading failed) with the findings.
    """
    try:
        data = load_training_data(*paths)
    except DataError as exc:
        message = _strip_location(str(exc), exc.path, exc.line)
        return None, [Finding(Severity.ERROR, message, exc.path, exc.line)]
    return data, validate(data, rules)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
