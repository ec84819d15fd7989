"""Rasa 3.6's suggested NLU pipeline (DIET) and Pasokhgoo, side by side on the same data.

    .venv/bin/python bench/rasa_vs_pasokhgoo.py [--data ../shared/data/massive_fa-IR]
        [--rasa-env DIR] [--epochs 100] [--massive-epochs 100]
        [--skip-massive | --skip-nlu-data] [--json results.json]

Two data sets:
- nlu_data/: a fixed stratified 80/20 split (seed 42) of the knowledge base; a FAQ
  answer counts as right when the full key (`faq/<key>`) is: for Rasa, DIET's `faq`
  intent plus the ResponseSelector's key.
- MASSIVE fa-IR: train on pr_train, score pr_test (60 voice-assistant intents).

Rasa is trained by `rasa train nlu` in its own Python 3.10 environment (the one
`.ci/rasa-interop` builds) with the config `rasa init` writes for a new project, and
parses in process (`Agent.parse_message`, bench/_rasa_parse.py). Pasokhgoo trains and
parses in process (`train_model`, `Interpreter.parse`). Intent accuracy and macro F1
use each system's top intent (Rasa's under its FallbackClassifier); "fell back" is the
share of test messages each would not act on. Rasa's training time is the wall time of
`rasa train nlu`, process start included. Prints numbers only; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from _massive_data import default_data_dir, read_split
from rich.console import Console
from rich.table import Table
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from bot.fallback import Confidence
from bot.model import train_model
from bot.nlu import Interpreter
from bot.rasa_export import build_project
from bot.settings import PROJECT_ROOT
from bot.training_data import FAQ_PREFIX, Example, TrainingData, load_training_data

__all__ = ["main"]

console = Console(width=130)
BENCH = Path(__file__).resolve().parent
DEFAULT_RASA_ENV = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    / "pasokhgoo"
    / "rasa-3.6.21-py3.10"
)


def suggested_config(epochs: int) -> dict:
    """What `rasa init` writes for a new 3.6 project (its commented-out default pipeline)."""
    return {
        "recipe": "default.v1",
        "assistant_id": "pasokhgoo-bench",
        "language": "fa",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {
                "name": "CountVectorsFeaturizer",
                "analyzer": "char_wb",
                "min_ngram": 1,
                "max_ngram": 4,
            },
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True},
            {"name": "EntitySynonymMapper"},
            {"name": "ResponseSelector", "epochs": epochs, "constrain_similarities": True},
            {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
        ],
        "policies": [],
    }


@dataclass(frozen=True)
class Case:
    name: str
    train: TrainingData
    test: list[Example]
    rasa_epochs: int


@dataclass(frozen=True)
class Score:
    system: str
    accuracy: float
    macro_f1: float
    fell_back: float
    train_s: float
    p50_ms: float
    p99_ms: float


def _subset(data: TrainingData, examples: list[Example]) -> TrainingData:
    return TrainingData(
        examples=examples,
        responses=data.responses,
        synonyms=data.synonyms,
        regexes=data.regexes,
        fingerprint=f"bench-{len(examples)}",
    )


def nlu_data_case(epochs: int, seed: int) -> Case:
    data = load_training_data(PROJECT_ROOT / "nlu_data")
    labels = [e.intent for e in data.examples]
    train, test = train_test_split(data.examples, test_size=0.2, stratify=labels, random_state=seed)
    return Case("nlu_data (80/20 split)", _subset(data, list(train)), list(test), epochs)


def massive_case(data_dir: Path, epochs: int) -> Case:
    train, test = (read_split(data_dir, name) for name in ("pr_train", "pr_test"))
    examples = [Example(t, i) for t, i in zip(train.texts, train.labels, strict=True)]
    tests = [Example(t, i) for t, i in zip(test.texts, test.labels, strict=True)]
    return Case(
        "MASSIVE fa-IR (pr_train → pr_test)", _subset(TrainingData(), examples), tests, epochs
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _score(
    system: str,
    gold: list[str],
    predicted: list[str],
    fell_back: int,
    train_s: float,
    latencies: list[float],
) -> Score:
    labels = sorted(set(gold))
    return Score(
        system,
        accuracy_score(gold, predicted),
        f1_score(gold, predicted, labels=labels, average="macro", zero_division=0),
        fell_back / len(gold),
        train_s,
        statistics.median(latencies),
        _percentile(latencies, 0.99),
    )


def run_pasokhgoo(case: Case) -> Score:
    started = time.perf_counter()
    model = train_model(case.train)
    train_s = time.perf_counter() - started
    interpreter = Interpreter(model, case.train.responses, synonyms=case.train.synonyms)
    interpreter.parse("سلام")  # warm up, as the Rasa side does
    predicted, latencies, fell_back = [], [], 0
    for example in case.test:
        started = time.perf_counter()
        parse = interpreter.parse(example.text)
        latencies.append((time.perf_counter() - started) * 1000)
        predicted.append(parse.intent.name)
        fell_back += parse.verdict.confidence is Confidence.LOW
    gold = [e.intent for e in case.test]
    return _score("Pasokhgoo", gold, predicted, fell_back, train_s, latencies)


def run_rasa(case: Case, rasa_env: Path, work: Path) -> Score:
    project = work / case.name.split()[0].replace("/", "_")
    project.mkdir(parents=True)
    (project / "data").mkdir()
    files = build_project(case.train, "http://127.0.0.1:0")
    (project / "data" / "nlu.yml").write_text(files["data/nlu.yml"], encoding="utf-8")
    intents = sorted({e.intent.split("/")[0] for e in case.train.examples})
    domain = {
        "version": "3.1",
        "intents": intents,
        "responses": {
            name: [{"text": t} for t in texts]
            for name, texts in case.train.responses.items()
            if name.startswith(f"utter_{FAQ_PREFIX}")
        },
    }
    dump = {"allow_unicode": True, "sort_keys": False}
    (project / "domain.yml").write_text(yaml.safe_dump(domain, **dump), encoding="utf-8")
    config = suggested_config(case.rasa_epochs)
    (project / "config.yml").write_text(yaml.safe_dump(config, **dump), encoding="utf-8")
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    console.print(f"[bold]{case.name}[/]: rasa train nlu ({case.rasa_epochs} epochs)…")
    started = time.perf_counter()
    subprocess.run(
        [rasa_env / "bin" / "rasa", "train", "nlu", "-c", "config.yml", "-d", "domain.yml",
         "-u", "data/nlu.yml", "--out", "models", "--fixed-model-name", "bench", "--quiet"],
        cwd=project, env=env, check=True, stdout=subprocess.DEVNULL,
        stderr=(project / "train.log").open("w"),
    )  # fmt: skip
    train_s = time.perf_counter() - started
    messages = project / "messages.json"
    messages.write_text(json.dumps([e.text for e in case.test], ensure_ascii=False), "utf-8")
    out = project / "predictions.json"
    console.print(f"[bold]{case.name}[/]: Rasa parses {len(case.test)} messages…")
    subprocess.run(
        [rasa_env / "bin" / "python", BENCH / "_rasa_parse.py", project / "models" / "bench.tar.gz",
         messages, out],
        cwd=project, env=env, check=True, stdout=subprocess.DEVNULL,
        stderr=(project / "parse.log").open("w"),
    )  # fmt: skip
    rows = json.loads(out.read_text("utf-8"))
    predicted = [
        r["response_key"] if r["intent"] == FAQ_PREFIX.rstrip("/") and r["response_key"]
        else r["intent"]
        for r in rows
    ]  # fmt: skip
    gold = [e.intent for e in case.test]
    fell_back = sum(r["fallback"] for r in rows)
    return _score("Rasa 3.6 DIET", gold, predicted, fell_back, train_s, [r["ms"] for r in rows])


def report(case: Case, scores: list[Score]) -> None:
    table = Table(
        "system", "accuracy", "macro F1", "fell back", "training", "parse p50", "parse p99",
        title=f"{case.name}: {len(case.train.examples)} train, {len(case.test)} test",
    )  # fmt: skip
    for s in scores:
        table.add_row(
            s.system, f"{s.accuracy:.3f}", f"{s.macro_f1:.3f}", f"{s.fell_back:.1%}",
            f"{s.train_s:.1f} s", f"{s.p50_ms:.2f} ms", f"{s.p99_ms:.2f} ms",
        )  # fmt: skip
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="MASSIVE fa-IR")
    parser.add_argument("--rasa-env", type=Path, default=DEFAULT_RASA_ENV)
    parser.add_argument("--epochs", type=int, default=100, help="DIET/ResponseSelector, nlu_data")
    parser.add_argument("--massive-epochs", type=int, default=100, help="DIET on MASSIVE")
    parser.add_argument("--skip-massive", action="store_true")
    parser.add_argument("--skip-nlu-data", action="store_true")
    parser.add_argument("--seed", type=int, default=42, help="the nlu_data split")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    if not (args.rasa_env / "bin" / "rasa").exists():
        console.print(f"[red]no Rasa environment at {args.rasa_env}[/]: run .ci/rasa-interop once")
        return 1
    cases = [] if args.skip_nlu_data else [nlu_data_case(args.epochs, args.seed)]
    if not args.skip_massive:
        cases.append(massive_case(args.data, args.massive_epochs))
    results = {}
    with tempfile.TemporaryDirectory(prefix="rasa-bench-") as work:
        for case in cases:
            scores = [run_pasokhgoo(case), run_rasa(case, args.rasa_env, Path(work))]
            report(case, scores)
            results[case.name] = {
                "epochs": case.rasa_epochs,
                "train": len(case.train.examples),
                "test": len(case.test),
                "scores": [s.__dict__ for s in scores],
            }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
