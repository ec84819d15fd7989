"""How the FAQ index grows: build time, query latency and memory at 1k, 10k and 100k entries.

    .venv/bin/python bench/faq_scale.py [--sizes 1000 10000 100000] [--queries 2000]

Each size is built in a fresh child process (so its memory is measured alone) from the
14 real FAQ keys plus synthetic 3-variant entries (`understanding.synthetic_entries`,
same seed). Build time is split into normalising the variants (`prepare`) and fitting
the index; queries are held-out and training texts, already prepared, through
`search_normalized(…, 5)`, beside the shipped 14-entry index in the same process.
Memory is the process's RSS growth over building, its peak growth, and the bytes of the
index's arrays. Writes docs/img/faq_scale.png. Prints numbers only; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHART = REPO_ROOT / "docs" / "img" / "faq_scale.png"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> None:
    """Start a new high-water mark of RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    # if it cannot, the peak covers the process's whole life, which can only overstate it
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def index_bytes(index) -> int:
    """Bytes of the index's numeric arrays (both matrix layouts, idf, row keys)."""
    total = index._row_key.nbytes + index._key_start.nbytes
    for matrix in (index._matrix, index._by_feature):
        total += matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    return total + index._chars.idf_.nbytes + index._words.idf_.nbytes


def measure_one(size: int, queries: int, seed: int) -> dict:
    """In this (fresh) process: build one index of `size` entries and time queries on it."""
    import numpy as np
    from understanding import load_messages, synthetic_entries

    from bot.features import prepare
    from bot.model import faq_entries
    from bot.nlu import FAQ_CANDIDATES
    from bot.training_data import load_training_data
    from faq_index import FaqIndex

    data = load_training_data(REPO_ROOT / "nlu_data")
    real = faq_entries(data)
    entries = synthetic_entries(size, real, seed)
    texts = load_messages(data, REPO_ROOT / "tests/data/heldout.yml", queries, seed)
    prepared = [prepare(t) for t in texts]
    small = FaqIndex.build(real, prepare)

    start = time.perf_counter()
    normalized = {q: prepare(q) for variants in entries.values() for q in variants}
    normalize_s = time.perf_counter() - start
    reset_peak_rss()
    rss_before = rss_mb()
    start = time.perf_counter()
    index = FaqIndex.build(entries, normalized.__getitem__)
    fit_s = time.perf_counter() - start
    rss_after = rss_mb()
    peak_growth = peak_rss_mb() - rss_before

    def latencies(idx) -> tuple[list[int], list[int]]:
        """Wall and this thread's CPU time of each query (CPU time leaves out other load)."""
        for q in prepared[:100]:
            idx.search_normalized(q, FAQ_CANDIDATES)
        wall, cpu = [], []
        for q in prepared:
            c, t = time.thread_time_ns(), time.perf_counter_ns()
            idx.search_normalized(q, FAQ_CANDIDATES)
            wall.append(time.perf_counter_ns() - t)
            cpu.append(time.thread_time_ns() - c)
        return wall, cpu

    (big_ns, big_cpu), (small_ns, small_cpu) = latencies(index), latencies(small)
    p = lambda ns, q: float(np.percentile(ns, q) / 1e6)  # noqa: E731
    return {
        "entries": len(index),
        "variants": len(normalized),
        "features": index._chars.n_features + index._words.n_features,
        "nnz": int(index._matrix.nnz),
        "normalize_s": normalize_s,
        "fit_s": fit_s,
        "p50_ms": p(big_ns, 50),
        "p99_ms": p(big_ns, 99),
        "cpu_p50_ms": p(big_cpu, 50),
        "cpu_p99_ms": p(big_cpu, 99),
        "base_p50_ms": p(small_ns, 50),
        "base_p99_ms": p(small_ns, 99),
        "base_cpu_p99_ms": p(small_cpu, 99),
        "rss_growth_mb": rss_after - rss_before,
        "peak_growth_mb": peak_growth,
        "array_mb": index_bytes(index) / 2**20,
        "load": os.getloadavg()[0],
    }


def chart(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["entries"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    ax.plot(sizes, [r["normalize_s"] + r["fit_s"] for r in rows], "o-", label="build (total)")
    ax.plot(sizes, [r["fit_s"] for r in rows], "s--", label="of which fitting")
    ax.set(title="build time", ylabel="seconds")
    ax = axes[1]
    ax.plot(sizes, [r["p50_ms"] for r in rows], "o-", label="p50")
    ax.plot(sizes, [r["p99_ms"] for r in rows], "s-", label="p99")
    ax.plot(sizes, [r["cpu_p99_ms"] for r in rows], "^--", label="p99, CPU time")
    base = sorted(r["base_cpu_p99_ms"] for r in rows)[len(rows) // 2]
    ax.axhline(base, color="grey", ls=":", label="14-entry index, p99 CPU time")
    ax.set(title="one query (search_normalized, k=5)", ylabel="ms")
    ax = axes[2]
    ax.plot(sizes, [r["rss_growth_mb"] for r in rows], "o-", label="RSS growth")
    ax.plot(sizes, [r["peak_growth_mb"] for r in rows], "s--", label="peak RSS growth")
    ax.plot(sizes, [r["array_mb"] for r in rows], "^-", label="index arrays")
    ax.set(title="memory", ylabel="MiB")
    for ax in axes:
        ax.set(xscale="log", yscale="log", xlabel="FAQ entries (3 variants each)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Pasokhgoo FAQ index: growth with the number of entries (bench/faq_scale.py)")
    fig.tight_layout()
    CHART.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(CHART, dpi=110)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    if args.one:
        print(json.dumps(measure_one(args.one, args.queries, args.seed)), flush=True)
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console(width=190)
    load_start = os.getloadavg()[0]
    rows = []
    for size in args.sizes:
        with console.status(f"{size:,} entries in a fresh process…"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--queries", str(args.queries),
                 "--seed", str(args.seed)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        if out.returncode != 0:
            console.print(f"[red]{size:,} entries failed[/]\n{out.stderr}")
            return 1
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    table = Table(title=f"FAQ index scale: {args.queries:,} queries per size")
    columns = (
        "entries", "variants", "features", "nonzeros", "normalise s", "fit s",
        "query p50 ms", "query p99 ms", "CPU p50/p99 ms", "14-entry p50/p99 ms",
        "RSS +MiB", "peak +MiB", "arrays MiB", "load",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            f"{r['entries']:,}",
            f"{r['variants']:,}",
            f"{r['features']:,}",
            f"{r['nnz']:,}",
            f"{r['normalize_s']:.1f}",
            f"{r['fit_s']:.1f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            f"{r['cpu_p50_ms']:.2f} / {r['cpu_p99_ms']:.2f}",
            f"{r['base_p50_ms']:.2f} / {r['base_p99_ms']:.2f}",
            f"{r['rss_growth_mb']:.0f}",
            f"{r['peak_growth_mb']:.0f}",
            f"{r['array_mb']:.0f}",
            f"{r['load']:.2f}",
        )
    console.print(table)
    if not args.no_chart:
        chart(rows)
        console.print(f"chart: {CHART.relative_to(REPO_ROOT)}")
    console.print(f"load average (1 min) at start {load_start:.2f}; {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
