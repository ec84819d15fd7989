"""Reading the knowledge base: Rasa 3.x NLU and response YAML (`version: "3.1"`).

Only what Pasokhgoo uses is read — `nlu:` (intents with examples, synonyms, regexes) and
`responses:` — but any valid Rasa file loads. Every example keeps the file and line it
came from, so `pasokhgoo data validate` can point at it.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import DataError

__all__ = [
    "Example",
    "TrainingData",
    "load_training_data",
    "parse_annotated",
]

FAQ_PREFIX = "faq/"

# [متن](entity), [متن](entity:value) or [متن]{"entity": "x", "value": "y"}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True, slots=True)
class Annotation:
    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Example:
    """A training sentence with its intent, entity annotations and origin."""

    text: str
    intent: str
    entities: tuple[Annotation, ...] = ()
    source: str = ""
    line: int = 0


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    responses: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    # short titles for suggestion buttons, from an intent's `metadata: {title: …}`
    titles: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @property
    def faq_keys(self) -> list[str]:
        return [i.removeprefix(FAQ_PREFIX) for i in self.intents if i.startswith(FAQ_PREFIX)]

    def examples_by_intent(self) -> dict[str, list[Example]]:
        grouped: dict[str, list[Example]] = defaultdict(list)
        for example in self.examples:
            grouped[example.intent].append(example)
        return dict(grouped)

    def response(self, name: str) -> str | None:
        texts = self.responses.get(name)
        return texts[0] if texts else None


def parse_annotated(raw: str) -> tuple[str, tuple[Annotation, ...]]:
    """Strip Rasa entity markup, returning the plain text and the annotations in it."""
    plain: list[str] = []
    annotations: list[Annotation] = []
    pos = 0
    length = 0
    for match in _ANNOTATION.finditer(raw):
        before = raw[pos : match.start()]
        plain.append(before)
        length += len(before)
        text = match["text"]
        if match["json"]:
            try:
                spec = yaml.safe_load(match["json"])
            except yaml.YAMLError as exc:
                raise DataError(f"bad entity annotation {match.group()!r}") from exc
            if not isinstance(spec, dict) or "entity" not in spec:
                raise DataError(f"entity annotation without 'entity': {match.group()!r}")
            entity, value = str(spec["entity"]), str(spec.get("value", text))
        else:
            entity, _, value = match["short"].partition(":")
            value = value or text
        annotations.append(Annotation(entity, value, length, length + len(text)))
        plain.append(text)
        length += len(text)
        pos = match.end()
    plain.append(raw[pos:])
    return "".join(plain), tuple(annotations)


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml")))
        elif path.exists():
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return files


def _compose(path: Path) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise DataError(f"{path}:{line}: invalid YAML: {exc.problem}", path, line) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}", path) from exc


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _block_items(path: Path, node: yaml.Node) -> Iterable[tuple[str, int]]:
    """The `- item` lines of a Rasa `examples: |` block, with their file line numbers."""
    if not isinstance(node, yaml.ScalarNode):
        raise DataError(
            f"{path}:{node.start_mark.line + 1}: examples must be a '|' block",
            path,
            node.start_mark.line + 1,
        )
    first_line = node.start_mark.line + (2 if node.style == "|" else 1)
    for offset, raw in enumerate(str(node.value).splitlines()):
        item = raw.strip()
        if not item:
            continue
        if not item.startswith("- "):
            line = first_line + offset
            raise DataError(f"{path}:{line}: an example line must start with '- '", path, line)
        yield item[2:].strip(), first_line + offset


def _read_nlu(path: Path, node: yaml.Node, data: TrainingData) -> None:
    if not isinstance(node, yaml.SequenceNode):
        raise DataError(f"{path}: 'nlu' must be a list", path, node.start_mark.line + 1)
    for item in node.value:
        fields = _mapping(item)
        line = item.start_mark.line + 1
        examples = fields.get("examples")
        if "intent" in fields:
            if examples is None:
                raise DataError(f"{path}:{line}: intent without examples", path, line)
            intent = str(fields["intent"].value).strip()
            title = _mapping(fields["metadata"]).get("title") if "metadata" in fields else None
            if isinstance(title, yaml.ScalarNode) and str(title.value).strip():
                data.titles[intent] = str(title.value).strip()
            for raw, ex_line in _block_items(path, examples):
                try:
                    text, annotations = parse_annotated(raw)
                except DataError as exc:
                    raise DataError(f"{path}:{ex_line}: {exc}", path, ex_line) from exc
                data.examples.append(Example(text, intent, annotations, str(path), ex_line))
        elif "synonym" in fields and examples is not None:
            for raw, _ in _block_items(path, examples):
                data.synonyms[raw] = str(fields["synonym"].value)
        elif "regex" in fields and examples is not None:
            patterns = [raw for raw, _ in _block_items(path, examples)]
            data.regexes.setdefault(str(fields["regex"].value), []).extend(patterns)
        elif "lookup" not in fields:
            raise DataError(
                f"{path}:{line}: unknown nlu item (intent, synonym, regex, lookup)", path, line
            )


def _read_responses(path: Path, node: yaml.Node, data: TrainingData) -> None:
    for name, variants in _mapping(node).items():
        texts = []
        seq = variants.value if isinstance(variants, yaml.SequenceNode) else []
        for variant in seq:
            text = _mapping(variant).get("text")
            if text is not None:
                texts.append(str(text.value))
        if not texts:
            line = variants.start_mark.line + 1
            raise DataError(f"{path}:{line}: response {name!r} has no text", path, line)
        data.responses[name] = texts


def load_training_data(*paths: Path | str) -> TrainingData:
    """Load every Rasa YAML file in `paths` (files or folders) into one `TrainingData`."""
    data = TrainingData()
    digest = hashlib.sha256()
    for path in _yaml_files(Path(p) for p in paths):
        root = _compose(path)
        sections = _mapping(root) if root is not None else {}
        if "nlu" not in sections and "responses" not in sections:
            continue  # another kind of file (closure days): not training data
        data.files.append(path)
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        if "nlu" in sections:
            _read_nlu(path, sections["nlu"], data)
        if "responses" in sections:
            _read_responses(path, sections["responses"], data)
    data.fingerprint = digest.hexdigest()[:16]
    return data
