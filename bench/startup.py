"""Cold start to ready: fresh Python processes, so every import is cold.

    .venv/bin/python bench/startup.py [--runs 5]

Variants, each in its own fresh interpreter, interleaved round by round:

  python        an empty interpreter (`python -c pass`): the floor
  hazm          import hazm and build its `Normalizer` (the baseline)
  serve         what `pasokhgoo serve` does before it can answer: import uvicorn and the
                app, `create_app`, then the lifespan's `build_services` — `load_interpreter`
                on an already saved model, the SQLite stores (a new database in a temp
                folder, so its migrations run) — and one `Interpreter.parse`
  serve+informal  the same, with hazm's `InformalNormalizer` also built

The model is trained once, by an untimed first `serve` child, on a snapshot of nlu_data/
(so another edit of nlu_data/ cannot make a timed child retrain). Target: serve ≤ 3 s, median.
Prints numbers only; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 3.0
console = Console(width=120)

# Each child prints one JSON line {"phases": {name: seconds}} when it is ready. Phase times
# are measured inside the child from its first statement; the parent adds the wall time
# from spawning the process to reading that line ("total").
_PRELUDE = """
import json, sys, time
_t = time.perf_counter()
phases = {}
def mark(name):
    global _t
    now = time.perf_counter()
    phases[name] = phases.get(name, 0.0) + now - _t
    _t = now
"""

_HAZM = """
import hazm
mark("import hazm")
hazm.Normalizer(persian_numbers=False)
mark("build Normalizer")
"""

# The lifespan's helpers are wrapped wherever a loaded module holds them (a module that
# did `from bot.model import load_model` has its own name for it), so each is timed
# without changing what the lifespan runs, whatever module calls it.
_SERVE = """
import uvicorn
from api.app import create_app
from api.services import build_services
from bot.settings import Settings
mark("import uvicorn, api.app")
timed_inside = {}
def timed(name, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timed_inside[name] = timed_inside.get(name, 0.0) + time.perf_counter() - start
    return wrapper
def patch(module_name, attr, name):
    module = sys.modules.get(module_name) or __import__(module_name, fromlist=[attr])
    original = getattr(module, attr, None)
    if original is None:
        return
    wrapper = timed(name, original)
    timed_inside.setdefault(name, 0.0)
    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").split(".")[0] in ("api", "bot", "faq_index"):
            for key, value in list(vars(mod).items()):
                if value is original:
                    setattr(mod, key, wrapper)
patch("bot.stores", "open_stores", "open_stores (SQLite + migrations)")
patch("bot.assistant", "load_interpreter", "load_interpreter")
patch("bot.model", "load_model", "load_model (JSON + npz)")
patch("bot.model", "train_model", "train_model (0 unless stale)")
patch("bot.text", "_hazm_normalizer", "hazm import + Normalizer build")
settings = Settings(data_dir=sys.argv[1], var_dir=sys.argv[2], model_dir=sys.argv[3])
app = create_app(settings)
mark("create_app")
%(informal)s
services = build_services(settings)
mark("build_services (lifespan)")
parse = services.assistant.interpreter.parse("شماره تلفن پشتیبانی چنده؟")
assert parse.intent.name == "faq/contact_phone", parse.intent
mark("first parse")
if sys.argv[4] == "timed":
    assert not services.assistant.trained_now, "the child retrained: the model is stale"
services.close()
for name, seconds in timed_inside.items():
    phases["  of which " + name] = seconds
"""

_INFORMAL = """
import hazm
hazm.InformalNormalizer()
mark("build InformalNormalizer")
"""

VARIANTS: dict[str, str] = {
    "python": "",
    "hazm": _HAZM,
    "serve": _SERVE % {"informal": ""},
    "serve+informal": _SERVE % {"informal": _INFORMAL},
}
_REPORT = '\nprint(json.dumps({"phases": phases}), flush=True)\n'


def run_child(code: str, args: Sequence[str]) -> dict[str, float]:
    """Run one fresh interpreter; phases in seconds, plus `total` wall time to ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASOKHGOO_")}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _PRELUDE + code + _REPORT, *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline() if child.stdout else ""
    total = time.perf_counter() - start
    _, stderr = child.communicate(timeout=120)
    if child.returncode != 0 or not line:
        raise RuntimeError(f"child failed ({child.returncode}):\n{stderr}")
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    phases = json.loads(line)["phases"]
    phases["interpreter start + pipe"] = total - sum(
        v for k, v in phases.items() if not k.startswith("  ")
    )
    # CPU time the child used, to its exit: unlike wall time, hardly moved by other load
    cpu = sum(
        getattr(children_after, f) - getattr(children_before, f) for f in ("ru_utime", "ru_stime")
    )
    return {"total": total, **phases, "child CPU (user+sys, to exit)": cpu}


def prepare_model(root: Path) -> tuple[Path, Path]:
    """A snapshot of nlu_data/ and the model `serve` trains on it at its first start."""
    data_dir = root / "nlu_data"
    shutil.copytree(REPO_ROOT / "nlu_data", data_dir)
    model_dir = root / "model"
    run_child(VARIANTS["serve"], [str(data_dir), str(root / "var-first"), str(model_dir), "first"])
    return data_dir, model_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    loads = [os.getloadavg()[0]]
    results: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="pasokhgoo-startup-") as tmp:
        root = Path(tmp)
        with console.status("training the model the children load…"):
            data_dir, model_dir = prepare_model(root)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("fresh processes", total=args.runs * len(VARIANTS))
            for run in range(args.runs):
                for name, code in VARIANTS.items():
                    var_dir = root / f"var-{name}-{run}"
                    child_args = [str(data_dir), str(var_dir), str(model_dir), "timed"]
                    results[name].append(run_child(code, child_args))
                    progress.advance(task)
                loads.append(os.getloadavg()[0])

    for name, runs in results.items():
        table = Table(title=f"{name}: seconds, {len(runs)} fresh processes")
        for column in ("phase", "median", "min", "max"):
            table.add_column(column, justify="left" if column == "phase" else "right")
        for phase in runs[0]:
            values = [r[phase] for r in runs]
            table.add_row(
                phase,
                f"{statistics.median(values):.3f}",
                f"{min(values):.3f}",
                f"{max(values):.3f}",
                style="bold" if phase == "total" else None,
            )
        console.print(table)

    summary = Table(title="wall time from spawn to ready (s)")
    for column in ("variant", "median", "min", "max", "vs hazm baseline", "CPU median"):
        summary.add_column(column, justify="left" if column == "variant" else "right")
    base = statistics.median(r["total"] for r in results["hazm"])
    for name, runs in results.items():
        totals = [r["total"] for r in runs]
        med = statistics.median(totals)
        cpu = statistics.median(r["child CPU (user+sys, to exit)"] for r in runs)
        summary.add_row(
            name,
            f"{med:.2f}",
            f"{min(totals):.2f}",
            f"{max(totals):.2f}",
            f"{med - base:+.2f}",
            f"{cpu:.2f}",
        )
    console.print(summary)
    serve = statistics.median(r["total"] for r in results["serve"])
    verdict = "[green]met[/]" if serve <= TARGET_S else "[red]NOT met[/]"
    console.print(f"target: serve cold start ≤ {TARGET_S} s: median {serve:.2f} s → {verdict}")
    console.print(
        "load average (1 min) at start and after each round: "
        + ", ".join(f"{x:.2f}" for x in loads)
        + f"; {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
