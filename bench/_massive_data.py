"""Read MASSIVE fa-IR splits (`token:BIO-tag ... <=> intent` a line) as utterances and intents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["SPLITS", "Split", "default_data_dir", "read_split"]

SPLITS = ("pr_train", "pr_valid", "pr_test")


@dataclass(frozen=True, slots=True)
class Split:
    """One split: raw utterances (slot tags stripped) and their intents, in file order."""

    name: str
    texts: list[str]
    labels: list[str]


def default_data_dir() -> Path:
    """`../shared/data/massive_fa-IR` against the repository root's parent (see data README)."""
    repo_root = Path(__file__).resolve().parent.parent
    return repo_root.parent / "shared" / "data" / "massive_fa-IR"


def _parse_line(line: str) -> tuple[str, str]:
    tagged, intent = line.rsplit(" <=> ", 1)
    # A token may itself contain ':' (times such as 9:30), so split on the last one only.
    tokens = [token.rpartition(":")[0] for token in tagged.split()]
    return " ".join(tokens), intent.strip()


def read_split(data_dir: Path, name: str) -> Split:
    """Parse one split file; blank lines are skipped, malformed ones raise ValueError."""
    texts: list[str] = []
    labels: list[str] = []
    path = data_dir / name
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            try:
                text, intent = _parse_line(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not 'tokens <=> intent'") from exc
            texts.append(text)
            labels.append(intent)
    return Split(name=name, texts=texts, labels=labels)
