"""A bounded load run against `pasokhgoo serve --workers 2` on loopback, mixed traffic.

    .venv/bin/python bench/load.py [--seconds 60] [--concurrency 16] [--workers 2]
        [--model DIR] [--database-url URL | --postgres postgresql://…] [--redis-url redis://…]
        [--sample-seconds 5] [--plot docs/img/load_rss.png]

Starts the server (in a temp var dir with a copy of --model or var/model, else it trains
one first; SQLite unless --database-url), waits for /readyz, then runs `concurrency`
async clients for `seconds`: FAQ questions and small talk from many senders, ticket
forms start to end, handoffs to an operator (claimed, answered, closed by an online
operator whose console polls its queue), transcript polls and FAQ searches. Prints
throughput, p50/p99 latency per kind, errors, and the workers' RSS sampled every few
seconds: before, after, per minute, and the slope of a straight line fitted to the
second half of the run (a growth trend shows there once warm-up is over); `--plot FILE`
draws it. The server is stopped on the way out, on error too. Prints numbers only; it
is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from _servers import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "شماره تلفن پشتیبانی چنده؟",
    "هزینه ارسال چقدره",
    "چطور سفارشم رو لغو کنم",
    "سلام",
    "ممنون",
    "ساعت کاری پشتیبانی؟",
    "مرجوع کردن کالا چطوریه",
    "asdf qwer",
]
OPERATOR_TOKEN = "load-operator-token"
TICKET_FORM = [
    "میخوام تیکت ثبت کنم",
    '/inform{"topic": "order"}',
    "مریم احمدی",
    "maryam@example.com",
    "09121234567",
    "۱۲۳۴۵۶۷۸",
    "سفارشم دیر رسیده",
    "/skip",
    "/affirm",
]


def rss_kib(pid: int) -> int:
    """The resident memory of a process and its children (the uvicorn workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        status = Path(f"/proc/{one}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.failures: Counter[str] = Counter()

    def record(self, kind: str, seconds: float, status: int) -> None:
        self.latencies[kind].append(seconds * 1000)
        self.statuses[(kind, status)] += 1


async def timed(stats: Stats, kind: str, request) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError as exc:
        stats.failures[f"{kind}:{type(exc).__name__}"] += 1
        return None
    stats.record(kind, time.perf_counter() - started, response.status_code)
    return response


async def handoff(client: httpx.AsyncClient, sender: str, stats: Stats) -> None:
    """A customer asks for a person; the operator claims, answers the relayed question,
    and hands the conversation back to the bot."""
    staff = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    base = f"/v1/operator/conversations/{sender}"

    async def say(text: str) -> None:
        body = {"sender_id": sender, "text": text}
        await timed(stats, "handoff", client.post("/v1/chat", json=body))

    await say("لطفا وصلم کنید به اپراتور")
    await timed(stats, "op-claim", client.post(f"{base}/claim", headers=staff))
    await say("سفارشم هنوز نرسیده")
    reply = {"text": "سلام، بررسی می‌کنم."}
    await timed(stats, "op-reply", client.post(f"{base}/messages", headers=staff, json=reply))
    await timed(stats, "op-close", client.post(f"{base}/close", headers=staff))


async def operator_presence(client: httpx.AsyncClient, stop: float, stats: Stats) -> None:
    """The operator console's heartbeat and queue refresh, as an online operator sends."""
    staff = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    while time.monotonic() < stop:
        await timed(stats, "op-presence", client.post("/v1/operator/presence", headers=staff))
        await timed(stats, "op-queue", client.get("/v1/operator/queue", headers=staff))
        await asyncio.sleep(2)


async def customer(client: httpx.AsyncClient, n: int, stop: float, stats: Stats) -> None:
    rng = random.Random(n)
    turn = 0
    while time.monotonic() < stop:
        turn += 1
        sender = f"load-{n}-{turn}"
        roll = rng.random()
        if roll < 0.10:  # a whole ticket form
            for text in TICKET_FORM:
                body = {"sender_id": sender, "text": text}
                await timed(stats, "chat-form", client.post("/v1/chat", json=body))
        elif roll < 0.15:
            await handoff(client, sender, stats)
        elif roll < 0.20:
            await timed(stats, "poll", client.get(f"/v1/chat/load-{n}-{turn - 1}/messages"))
        elif roll < 0.30:
            q = rng.choice(QUESTIONS)
            await timed(stats, "faq-search", client.get("/v1/faq/search", params={"q": q}))
        else:
            body = {"sender_id": sender, "text": rng.choice(QUESTIONS)}
            await timed(stats, "chat", client.post("/v1/chat", json=body))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def sample_rss(pid: int, every: float, stop: float, samples: list[tuple[float, int]]):
    """(seconds since start, KiB) of the server and its workers, every `every` seconds."""
    started = time.monotonic()
    while True:
        samples.append((time.monotonic() - started, rss_kib(pid)))
        if time.monotonic() >= stop:
            return
        await asyncio.sleep(min(every, max(0.0, stop - time.monotonic())))


async def run_load(
    url: str, seconds: float, concurrency: int, pid: int, every: float
) -> tuple[Stats, float, list[tuple[float, int]]]:
    stats = Stats()
    samples: list[tuple[float, int]] = []
    limits = httpx.Limits(max_connections=concurrency + 1)  # the customers and one operator
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.monotonic()
        stop = started + seconds
        # the operator is online before the first customer asks for a person
        staff = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        assert (await client.post("/v1/operator/presence", headers=staff)).status_code == 200
        sampler = asyncio.create_task(sample_rss(pid, every, stop, samples))
        await asyncio.gather(
            operator_presence(client, stop, stats),
            *(customer(client, n, stop, stats) for n in range(concurrency)),
        )
        await sampler
        return stats, time.monotonic() - started, samples


def slope_mib_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS over the second half of the run, MiB a minute."""
    half = [(t, kib / 1024) for t, kib in samples if t >= samples[-1][0] / 2]
    if len(half) < 2:
        return 0.0
    mean_t = sum(t for t, _ in half) / len(half)
    mean_m = sum(m for _, m in half) / len(half)
    var = sum((t - mean_t) ** 2 for t, _ in half)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in half)
    return cov / var * 60 if var else 0.0


def plot_rss(samples: list[tuple[float, int]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot([t for t, _ in samples], [kib / 1024 for _, kib in samples], marker=".")
    ax.set_xlabel("seconds under load")
    ax.set_ylabel("RSS, parent + workers (MiB)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def start_server(args: argparse.Namespace, var_dir: Path, port: int, log) -> subprocess.Popen:
    model = args.model or REPO_ROOT / "var" / "model"
    if model.exists():
        shutil.copytree(model, var_dir / "model")
    env = {
        **os.environ,
        "PASOKHGOO_VAR_DIR": str(var_dir),
        "PASOKHGOO_MODEL_POLL_SECONDS": "0",
        "PASOKHGOO_RATE_PER_SENDER": "0",  # many senders anyway; measure the chat itself
        "PASOKHGOO_OPERATOR_TOKENS": json.dumps({"sara": OPERATOR_TOKEN}),
    }
    if args.database_url:
        env["PASOKHGOO_DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["PASOKHGOO_REDIS_URL"] = args.redis_url
        env["PASOKHGOO_REDIS_PREFIX"] = f"bench{port}"
    command = [
        str(Path(sys.executable).with_name("pasokhgoo")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server was not ready in time")


@contextmanager
def throwaway_schema(server: str | None) -> Iterator[str | None]:
    """A new schema on `server` and the service's URL using it; dropped afterwards."""
    if server is None:
        yield None
        return
    import psycopg

    schema = f"load_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        base = server.replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", type=Path, help="a trained model to copy (default var/model)")
    parser.add_argument("--database-url", help="the service's SQLAlchemy URL (default SQLite)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (postgresql://postgres@127.0.0.1:5432/test): the run gets a "
        "schema of its own there, dropped afterwards",
    )
    parser.add_argument("--redis-url")
    parser.add_argument("--sample-seconds", type=float, default=5, help="RSS sampling period")
    parser.add_argument("--plot", type=Path, help="draw RSS over time into this PNG")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        throwaway_schema(args.postgres) as schema_url,
        tempfile.TemporaryDirectory(prefix="pasokhgoo-load-") as tmp,
    ):
        args.database_url = schema_url or args.database_url
        var_dir = Path(tmp) / "var"
        var_dir.mkdir()
        with (Path(tmp) / "server.log").open("wb") as log:
            process = start_server(args, var_dir, port, log)
            try:
                wait_ready(url, process)
                stats, elapsed, samples = asyncio.run(
                    run_load(url, args.seconds, args.concurrency, process.pid, args.sample_seconds)
                )
            finally:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
    report(stats, elapsed, args, samples)
    if args.plot:
        total = sum(stats.statuses.values())
        plot_rss(samples, args.plot, f"{args.workers} workers, {total / elapsed:.0f} req/s")
        print(f"plot: {args.plot}")


def report(stats: Stats, elapsed: float, args, samples: list[tuple[float, int]]) -> None:
    total = sum(stats.statuses.values())
    # every request of this traffic should succeed: a 409 (a claim that found no waiting
    # customer) or a 429 is as much a failure here as a 500
    server = sum(n for (_, status), n in stats.statuses.items() if status >= 500)
    client = sum(n for (_, status), n in stats.statuses.items() if 400 <= status < 500)
    transport = sum(stats.failures.values())
    print(
        f"{args.workers} workers, {args.concurrency} clients, {elapsed:.1f} s: "
        f"{total} requests, {total / elapsed:.1f} req/s, errors {server + client + transport} "
        f"(5xx {server}, 4xx {client}, transport {transport})"
    )
    print(f"{'kind':<12}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for kind, values in sorted(stats.latencies.items()):
        statuses = {s: n for (k, s), n in stats.statuses.items() if k == kind}
        print(
            f"{kind:<12}{len(values):>8}{percentile(values, 0.5):>10.1f}"
            f"{percentile(values, 0.99):>10.1f}  {statuses}"
        )
    if stats.failures:
        print(f"transport failures: {dict(stats.failures)}")
    before, after = samples[0][1] / 1024, samples[-1][1] / 1024
    print(f"RSS (parent + workers): {before:.0f} MiB → {after:.0f} MiB")
    every = args.sample_seconds
    minutes = [f"{t / 60:.0f} min {kib / 1024:.0f}" for t, kib in samples if t % 60 < every]
    print(f"RSS by minute (MiB): {', '.join(minutes)}")
    print(f"RSS slope over the second half: {slope_mib_per_minute(samples):+.1f} MiB/min")


if __name__ == "__main__":
    main()
