"""Measure Finglish transliteration and detection on real Finglish/Persian sentence pairs.

Reads the MIT-licensed PersianToFinglishDataset (`Finglish<TAB>Persian` per line; see
../shared/data/README.md), drops pairs whose two sides are not translations of each
other (a few rows near 123-130 are shifted), and prints, for the rules + lexicon and two
baselines side by side: word accuracy on pairs with equal word counts and sentence-level
character similarity. Then `looks_finglish` recall on the Finglish side and its false
positive rate on plain English support messages, and the most frequent wrong words.

    .venv/bin/python bench/finglish_eval.py [--data ../shared/data/finglish] [--part all]

`--part tune` / `--part holdout` score the even / odd data rows only: tune the rules
looking at one half, then check that the other half scores about the same.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bot.finglish import looks_finglish, transliterate  # noqa: E402
from bot.text import normalize  # noqa: E402

__all__ = ["Pair", "load_pairs", "main"]

DATA_FILE = "PersianToFinglishDataset.txt"

# Plain English support messages (written for this benchmark): none should look Finglish.
ENGLISH_MESSAGES = (
    "I want to talk to a human",
    "thanks",
    "hello",
    "Hi, where is my order?",
    "My package has not arrived yet",
    "How can I return this item?",
    "I need a refund for my last purchase",
    "Can I speak to an agent please",
    "What are your working hours?",
    "The product I received is broken",
    "Please cancel my order",
    "How long does delivery take?",
    "I forgot my password",
    "My account was locked",
    "Is there a discount code for new customers?",
    "The app keeps crashing on my phone",
    "Can you send me the invoice by email",
    "I was charged twice",
    "Where can I track my shipment",
    "Do you ship to Tehran?",
    "What is your phone number",
    "I would like to change my delivery address",
    "This is the wrong size",
    "How do I contact customer service?",
    "ok thank you very much",
    "Is this product available in blue?",
    "When will my order be delivered?",
    "I did not receive a confirmation email",
    "Can I pay with a credit card?",
    "The seller never answered my message",
    "my payment failed but money was taken from my bank",
    "good morning",
    "Why is my order still processing?",
    "Please help me",
    "I have a problem with my order",
    "can I change the color of my order",
    "Is there a warranty on this laptop?",
    "yes please",
    "no thanks",
    "How much is shipping?",
    "The tracking number does not work",
    "I want to open a ticket",
    "Who can I call about a damaged box?",
    "Your website is not loading",
    "Are you a robot?",
    "I need to update my phone number",
    "What time do you close today",
    "Please call me back as soon as possible",
    "sorry, wrong chat",
    "bye",
)


@dataclass(frozen=True, slots=True)
class Pair:
    """One data row: its line number, the Finglish side and the Persian side."""

    line: int
    finglish: str
    persian: str


# Consonant skeletons let us spot shifted rows without transliterating: vowels, h and
# the letters that double as vowels (ا و ی ه ع) are dropped, look-alike sounds merged.
_LATIN_SKELETON = {"kh": "x", "sh": "S", "ch": "C", "gh": "q", "zh": "Z", "c": "k", "w": "v"}
_PERSIAN_SKELETON = str.maketrans("بپتطثسصجچخدذزضظرژشغقفکگلمن", "bpttsssjCxdzzzzrZSqqfkglmn")
_MIN_SKELETON_SIMILARITY = 0.5  # aligned rows score 0.6-1.0, shifted ones below 0.45


def _latin_skeleton(text: str) -> str:
    for digraph, letter in _LATIN_SKELETON.items():
        text = text.replace(digraph, letter)
    text = re.sub(r"[aeiouhy\s]|[^\x00-\x7f]", "", text)
    return re.sub(r"(.)\1+", r"\1", text)


def _persian_skeleton(text: str) -> str:
    text = re.sub(r"[^a-zA-Z]", "", text.translate(_PERSIAN_SKELETON))
    return re.sub(r"(.)\1+", r"\1", text)


def _aligned(finglish: str, persian: str) -> bool:
    """Both sides normalised; False for shifted rows whose sides are different sentences."""
    n_fing, n_fa = len(finglish.split()), len(persian.split())
    if abs(n_fing - n_fa) > max(3, max(n_fing, n_fa) // 2):
        return False
    similarity = difflib.SequenceMatcher(
        None, _latin_skeleton(finglish), _persian_skeleton(persian), autojunk=False
    ).ratio()
    return similarity >= _MIN_SKELETON_SIMILARITY


def load_pairs(path: Path) -> tuple[list[Pair], int]:
    """Usable pairs (normalised both sides) and the number of rows skipped as misaligned."""
    pairs: list[Pair] = []
    skipped = 0
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            fields = line.rstrip("\n").split("\t")
            if line_no == 1 or len(fields) != 2:
                skipped += line_no != 1
                continue
            finglish, persian = normalize(fields[0]), normalize(fields[1])
            if finglish and persian and _aligned(finglish, persian):
                pairs.append(Pair(line_no, finglish, persian))
            else:
                skipped += 1
    return pairs, skipped


# Baseline (a): one fixed Persian letter per Latin letter or digraph, no lexicon and no
# positional vowel rules (short e dropped so that it is not hopeless).
_LETTERS_ONLY = {"kh": "خ", "sh": "ش", "ch": "چ", "gh": "ق", "zh": "ژ", "x": "کس", "e": ""} | dict(
    zip("abcdfghijklmnopqrstuvwyz", "ابکدفگهیجکلمنوپقرستووویز", strict=True)
)
_LETTERS_ONLY_UNIT = re.compile("kh|sh|ch|gh|zh|[a-z]")


def letters_only(text: str) -> str:
    """Baseline (a): map each letter or digraph to one Persian letter."""
    return normalize(_LETTERS_ONLY_UNIT.sub(lambda m: _LETTERS_ONLY[m.group()], normalize(text)))


def identity(text: str) -> str:
    """Baseline (b): no transliteration at all."""
    return normalize(text)


@dataclass(frozen=True, slots=True)
class Scores:
    word_accuracy: float
    char_similarity: float
    wrong: Counter[tuple[str, str]]


def score(system: Callable[[str], str], pairs: Sequence[Pair]) -> Scores:
    """Word accuracy on equal-length pairs, mean character similarity on all pairs."""
    right = total = 0
    similarity = 0.0
    wrong: Counter[tuple[str, str]] = Counter()
    for pair in pairs:
        got = normalize(system(pair.finglish))
        similarity += difflib.SequenceMatcher(None, got, pair.persian, autojunk=False).ratio()
        got_words, gold_words = got.split(), pair.persian.split()
        fing_words = pair.finglish.split()
        if len(fing_words) != len(gold_words) or len(got_words) != len(gold_words):
            continue
        for fing, out, gold in zip(fing_words, got_words, gold_words, strict=True):
            total += 1
            if out == gold:
                right += 1
            else:
                wrong[(fing, f"{out} ≠ {gold}")] += 1
    return Scores(right / max(total, 1), similarity / max(len(pairs), 1), wrong)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "finglish"
    )
    parser.add_argument("--part", choices=("all", "tune", "holdout"), default="all")
    args = parser.parse_args(argv)
    console = Console()

    path = args.data / DATA_FILE if args.data.is_dir() else args.data
    if not path.is_file():
        console.print(f"[red]no data file at {path}[/red]")
        return 1
    pairs, skipped = load_pairs(path)
    if args.part != "all":
        parity = 0 if args.part == "tune" else 1
        pairs = [p for p in pairs if p.line % 2 == parity]
    equal = sum(len(p.finglish.split()) == len(p.persian.split()) for p in pairs)

    data = Table(title=f"Finglish pairs ({path.name}, part: {args.part})")
    data.add_column("usable pairs", justify="right")
    data.add_column("with equal word counts", justify="right")
    data.add_column("skipped as misaligned (whole file)", justify="right")
    data.add_row(str(len(pairs)), str(equal), str(skipped))
    console.print(data)

    systems = {
        "rules + lexicon (transliterate)": transliterate,
        "(a) letters only": letters_only,
        "(b) identity": identity,
    }
    results = {name: score(system, pairs) for name, system in systems.items()}
    table = Table(title="Transliteration vs normalize(persian)")
    table.add_column("system")
    table.add_column("word accuracy", justify="right")
    table.add_column("char similarity", justify="right")
    for name, result in results.items():
        table.add_row(name, f"{result.word_accuracy:.1%}", f"{result.char_similarity:.1%}")
    console.print(table)

    recall = sum(looks_finglish(p.finglish) for p in pairs) / max(len(pairs), 1)
    false_pos = [m for m in ENGLISH_MESSAGES if looks_finglish(normalize(m))]
    detect = Table(title="looks_finglish")
    detect.add_column("measure")
    detect.add_column("value", justify="right")
    detect.add_row("recall on Finglish side", f"{recall:.1%}")
    detect.add_row(
        f"false positives on {len(ENGLISH_MESSAGES)} English messages",
        f"{len(false_pos) / len(ENGLISH_MESSAGES):.1%}",
    )
    console.print(detect)
    for message in false_pos:
        console.print(f"  false positive: {message}")

    errors = Table(title="Most frequent wrong words (transliterate)")
    errors.add_column("count", justify="right")
    errors.add_column("finglish")
    errors.add_column("got ≠ expected")
    for (fing, diff), count in results["rules + lexicon (transliterate)"].wrong.most_common(15):
        errors.add_row(str(count), fing, diff)
    console.print(errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
