"""The chat traffic of bench/http_chat.py: a deterministic mix of conversations, and the
async httpx client that sends it to one server for a fixed time and times every request.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from _servers import Server

__all__ = ["LoadResult", "conversations", "load"]

REPO_ROOT = Path(__file__).resolve().parent.parent

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
