"""HTTP throughput of POST /v1/chat against a bare FastAPI app, both on one uvicorn worker.

    .venv/bin/python bench/http_chat.py [--seconds 20] [--concurrency 8] [--rounds 1]

Starts two uvicorn servers (one worker each, 127.0.0.1, free ports) in subprocesses: the
real app (`api.app:create_app` as a factory, on a snapshot of nlu_data/, training its
model at first start, SQLite in a temp var dir) and a bare FastAPI app whose POST
/v1/chat returns a constant JSON. An async httpx client then loads each in turn for a
fixed time at a fixed concurrency (loopback only). Chat traffic: FAQ questions and small
talk, each from a new sender_id (a new conversation), and now and then a whole return or
ticket form. Both servers are stopped by this script, on error too. Beside them, the same
traffic runs through `Engine.handle` in this process (no HTTP; `--profile` shows where a
turn's time goes). Target: chat ≥ 60% of bare. Prints numbers only; it is not a test.
The servers are in bench/_servers.py, the traffic and its client in bench/_chat_traffic.py.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from _chat_traffic import LoadResult, conversations, load
from _servers import start_server, wait_ready

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
TARGET_RATIO = 0.60

# What the bare app answers: the shape and size of a typical chat reply.
_CONSTANT = {
    "sender_id": "bench",
    "replies": [{"text": "شماره تلفن پشتیبانی دیجی‌کالا ۰۲۱-۹۱۰۰۰۱۰۰ است.", "buttons": []}],
    "intent": {"name": "faq/contact_phone", "confidence": 0.93},
    "intent_ranking": [{"name": "faq/contact_phone", "confidence": 0.93}],
    "entities": [],
    "action": "answer",
    "form": None,
    "ticket": None,
    "handoff": None,
}


def bare_app():
    """The baseline server: FastAPI, one POST route, a constant JSON body (uvicorn factory)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/chat")
    async def chat() -> dict:
        return _CONSTANT

    return app


def in_process(
    data_dir: Path, model_dir: Path, var_dir: Path, seconds: float, seed: int, profile: bool
):
    """The same traffic through `Engine.handle` in this process, one turn at a time: what
    a chat turn costs without HTTP (and the `parse` inside it), on its own SQLite file.
    With `profile`, cProfile the turns afterwards and print where their time goes."""
    from api.services import build_services
    from bot.domain import InboundMessage
    from bot.settings import Settings

    services = build_services(Settings(data_dir=data_dir, var_dir=var_dir, model_dir=model_dir))
    turn_ms: list[float] = []
    parse_ms: list[float] = []
    interpreter = services.assistant.interpreter
    traffic = conversations(seed)
    try:
        interpreter.parse("سلام")  # hazm is imported and built on the first parse
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            for n in range(300):
                for text in next(traffic):
                    message = InboundMessage(f"profile-{n}", text, "rest", {}, ())
                    profiler.runcall(services.engine.handle, message)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"(bot|api|faq_index)/", 25)
        deadline = time.perf_counter() + seconds
        for n in itertools.count():
            if time.perf_counter() >= deadline:
                break
            for text in next(traffic):
                message = InboundMessage(f"inproc-{n}", text, "rest", {}, ())
                start = time.perf_counter()
                services.engine.handle(message)
                turn_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                interpreter.parse(text)
                parse_ms.append((time.perf_counter() - start) * 1000)
    finally:
        services.close()
    return turn_ms, parse_ms


def snapshot_data(root: Path) -> tuple[Path, Path]:
    """A copy of nlu_data/ (another edit of it cannot reach the server) and the folder
    where the chat server saves the model it trains at its first start."""
    data_dir = root / "nlu_data"
    shutil.copytree(REPO_ROOT / "nlu_data", data_dir)
    return data_dir, root / "model"


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per server and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=100_000, help="per server and round")
    parser.add_argument("--rounds", type=int, default=1, help="bare, chat, bare, chat, …")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="profile in-process turns")
    args = parser.parse_args(argv)

    loads = [os.getloadavg()[0]]
    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="pasokhgoo-http-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        data_dir, model_dir = snapshot_data(root)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PASOKHGOO_")}
        chat_env = env | {
            "PASOKHGOO_DATA_DIR": str(data_dir),
            "PASOKHGOO_VAR_DIR": str(root / "var"),
            "PASOKHGOO_MODEL_DIR": str(model_dir),
        }
        bare_env = env | {"PYTHONPATH": str(BENCH_DIR)}
        chat = start_server("chat", "api.app:create_app", chat_env, root / "chat.log")
        stack.callback(chat.stop)
        bare = start_server("bare", "http_chat:bare_app", bare_env, root / "bare.log")
        stack.callback(bare.stop)
        with console.status("waiting for both servers (the chat server trains first)…"):
            chat_ready = wait_ready(chat, "/readyz", "GET")
            wait_ready(bare, "/v1/chat", "POST")
        console.print(
            f"chat server ready {chat_ready:.1f} s after start, model trained at its start "
            f"(port {chat.port})"
        )
        for round_no in range(args.rounds):
            for server in (bare, chat):
                with console.status(f"round {round_no + 1}: loading {server.name}…"):
                    results.append(
                        asyncio.run(
                            load(
                                server,
                                args.seconds,
                                args.concurrency,
                                args.max_requests,
                                args.seed + round_no,
                                f"{round_no}",
                            )
                        )
                    )
                loads.append(os.getloadavg()[0])
        for server in (chat, bare):
            server.stop()
            if server.process.returncode not in (0, -15):
                console.print(f"[yellow]{server.name} exited {server.process.returncode}[/]")
        with console.status("the same traffic in process, no HTTP…"):
            turn_ms, parse_ms = in_process(
                data_dir,
                model_dir,
                root / "var-inproc",
                min(args.seconds, 10.0),
                args.seed,
                args.profile,
            )
        loads.append(os.getloadavg()[0])

    table = Table(
        title=f"POST /v1/chat, concurrency {args.concurrency}, "
        f"{args.seconds:.0f} s per server and round, one uvicorn worker each"
    )
    columns = (
        "round", "server", "requests", "req/s", "p50 ms", "p99 ms", "errors",
        "server CPU ms/req", "client CPU ms/req",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for i, r in enumerate(results):
        table.add_row(
            str(i // 2 + 1),
            r.name,
            f"{r.requests:,}",
            f"{r.rate:.0f}",
            f"{r.percentile(50):.1f}",
            f"{r.percentile(99):.1f}",
            str(sum(r.errors.values())) + (f" {dict(r.errors)}" if r.errors else ""),
            f"{1000 * r.server_cpu_s / max(r.requests, 1):.2f}",
            f"{1000 * r.client_cpu_s / max(r.requests, 1):.2f}",
        )
    console.print(table)
    ordered = sorted(turn_ms)
    mean_turn = sum(turn_ms) / len(turn_ms)
    console.print(
        f"in process, no HTTP, one turn at a time ({len(turn_ms):,} turns): Engine.handle "
        f"mean {mean_turn:.2f} ms, p50 {ordered[len(ordered) // 2]:.2f} ms, "
        f"p99 {ordered[int(0.99 * len(ordered))]:.2f} ms (≈ {1000 / mean_turn:.0f} turns/s on one "
        f"core), of which Interpreter.parse mean {sum(parse_ms) / len(parse_ms):.2f} ms"
    )
    chat_runs = [r for r in results if r.name == "chat"]
    bare_runs = [r for r in results if r.name == "bare"]
    actions = sum((r.actions for r in chat_runs), Counter())
    total = sum(actions.values()) or 1
    console.print(
        "chat actions: " + ", ".join(f"{a} {n / total:.0%}" for a, n in actions.most_common())
    )
    chat_rate = sum(r.rate for r in chat_runs) / len(chat_runs)
    bare_rate = sum(r.rate for r in bare_runs) / len(bare_runs)
    ratio = chat_rate / bare_rate
    verdict = "[green]met[/]" if ratio >= TARGET_RATIO else "[red]NOT met[/]"
    console.print(
        f"chat / bare throughput: {chat_rate:.0f} / {bare_rate:.0f} req/s = {ratio:.0%} "
        f"(target ≥ {TARGET_RATIO:.0%}) → {verdict}"
    )
    console.print(
        "load average (1 min) at start and after each load: "
        + ", ".join(f"{x:.2f}" for x in loads)
        + f"; {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
