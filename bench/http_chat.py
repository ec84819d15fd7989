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
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

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


# -- traffic ---------------------------------------------------------------------------

RETURN_FORM = ["mikham sefaresh 7654321 ro pas bedam", '/inform{"reason": "wrong_item"}', "بله"]
TICKET_FORM = [
    "میخوام تیکت ثبت کنم",
    '/inform{"topic": "payment"}',
    "سارا محمدی",
    "sara@example.com",
    "0912 345 6789",
    "ندارم",
    "پول از حسابم کم شده ولی سفارش ثبت نشده",
    "/skip",
    "/affirm",
]
SMALL_TALK = ("greet", "goodbye", "thanks", "bot_challenge")


def conversations(seed: int) -> Iterator[list[str]]:
    """An endless, deterministic mix of conversations, each a list of customer messages.

    Out of every 40: 30 one-message FAQ questions, 9 one-message small talk, 1 form
    (return and ticket forms in turn), from held-out and training texts alike.
    """
    sys.path.insert(0, str(REPO_ROOT))
    from bot.training_data import load_training_data

    examples = load_training_data(REPO_ROOT / "tests/data/heldout.yml", REPO_ROOT / "nlu_data")
    faq = [e.text for e in examples.examples if e.intent.startswith("faq/")]
    chat = [e.text for e in examples.examples if e.intent in SMALL_TALK]
    rng = random.Random(seed)
    forms = itertools.cycle([RETURN_FORM, TICKET_FORM])
    while True:
        kinds = ["faq"] * 30 + ["smalltalk"] * 9 + ["form"]
        rng.shuffle(kinds)
        for kind in kinds:
            if kind == "faq":
                yield [rng.choice(faq)]
            elif kind == "smalltalk":
                yield [rng.choice(chat)]
            else:
                yield list(next(forms))


# -- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(name: str, target: str, env: dict[str, str], log: Path) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", target, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    handle = log.open("w")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    return Server(name, process, port, log)


def wait_ready(server: Server, path: str, method: str, timeout: float = 180.0) -> float:
    import httpx

    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()}")
        try:
            body = {"sender_id": "ready", "text": "سلام"} if method == "POST" else None
            response = httpx.request(method, server.url + path, json=body, timeout=5)
            if response.status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {timeout} s:\n{server.log.read_text()}")


# -- load ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    name: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return (self.requests - sum(self.errors.values())) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def load(
    server: Server,
    seconds: float,
    concurrency: int,
    max_requests: int,
    seed: int,
    tag: str,
) -> LoadResult:
    """Send conversations from `concurrency` workers until the time or request cap is up."""
    import httpx

    result = LoadResult(server.name)
    traffic = conversations(seed)
    senders = itertools.count()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30.0) as client:

        async def worker(deadline: float, record: bool) -> None:
            while time.perf_counter() < deadline and result.requests < max_requests:
                sender = f"bench-{tag}-{next(senders)}"
                for text in next(traffic):
                    start = time.perf_counter()
                    try:
                        response = await client.post(
                            "/v1/chat", json={"sender_id": sender, "text": text}
                        )
                        ok = response.status_code == 200
                        action = response.json().get("action", "?") if ok else None
                        error = None if ok else f"HTTP {response.status_code}"
                    except httpx.HTTPError as exc:
                        action, error = None, type(exc).__name__
                    elapsed = (time.perf_counter() - start) * 1000
                    if record:
                        result.latencies_ms.append(elapsed)
                        if error:
                            result.errors[error] += 1
                        else:
                            result.actions[str(action)] += 1
                    if error:
                        break  # the rest of this conversation would make no sense

        # warm up: connections, the threadpool, every lazy cache
        warm_until = time.perf_counter() + 2.0
        await asyncio.gather(*(worker(warm_until, False) for _ in range(concurrency)))
        cpu_before, client_before = server.cpu_seconds(), time.process_time()
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(worker(deadline, True) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - start
        result.server_cpu_s = server.cpu_seconds() - cpu_before
        result.client_cpu_s = time.process_time() - client_before
    return result


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
