"""The Redis live backends (bot.live_redis) directly: lock ownership and expiry, events,
presence, and the fall-back to this process while Redis is down."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from serverkit import REDIS_URL, free_port, redis_prefix

from bot.errors import ConfigError
from bot.live import LocalBus, open_live

NOW = datetime(2025, 3, 20, 8, 30, tzinfo=UTC)


@pytest.fixture
def prefix():
    with redis_prefix() as value:
        yield value


@pytest.mark.redis
def test_a_lock_lost_to_expiry_is_not_released_by_its_old_holder(prefix, caplog) -> None:
    live = open_live(REDIS_URL, prefix, lock_ttl_seconds=0.3, lock_wait_seconds=5)
    client = redis.Redis.from_url(REDIS_URL)
    key = f"{prefix}:lock:c1"
    try:
        with caplog.at_level(logging.WARNING, "pasokhgoo.live"), live.locks.hold("c1"):
            assert client.get(key) is not None
            client.delete(key)  # expired while Redis stalled: another worker takes it
            assert client.set(key, "other-worker", nx=True, px=10_000)
            time.sleep(0.3)  # the watchdog's next round finds the lock gone
        assert client.get(key) == b"other-worker"  # neither renewed nor released by us
        assert "lock.lost" in caplog.text
        client.delete(key)
        with live.locks.hold("c1"), live.locks.hold("c1"):  # re-entrant in one thread
            pass
        assert client.get(key) is None
    finally:
        client.close()
        live.close()


@pytest.mark.redis
def test_a_slow_turn_keeps_its_lock_past_the_ttl(prefix) -> None:
    """Worker one's turn takes four TTLs; worker two's turn of the same customer waits
    for it instead of running alongside once the first TTL is over."""
    one, two = (open_live(REDIS_URL, prefix, lock_ttl_seconds=0.3) for _ in range(2))
    events: list[str] = []
    entered = threading.Event()

    def slow_turn() -> None:
        with one.locks.hold("c1"):
            entered.set()
            time.sleep(1.2)
            events.append("one done")

    worker = threading.Thread(target=slow_turn)
    try:
        worker.start()
        assert entered.wait(5)
        with two.locks.hold("c1"):
            events.append("two starts")
        worker.join()
        assert events == ["one done", "two starts"]
    finally:
        one.close()
        two.close()


@pytest.mark.redis
def test_presence_and_events_across_two_workers(prefix) -> None:
    one, two = open_live(REDIS_URL, prefix), open_live(REDIS_URL, prefix)

    async def exchange() -> list[dict]:
        mine, everything = two.bus.subscribe("c1"), two.bus.subscribe("*")
        await mine.ready()
        await everything.ready()
        await asyncio.to_thread(one.bus.publish, "c1", {"type": "message", "text": "سلام"})
        await asyncio.to_thread(one.bus.publish, "c2", {"type": "message", "text": "دیگری"})
        got = [await asyncio.wait_for(mine.get(), 5)]
        got += [await asyncio.wait_for(everything.get(), 5) for _ in range(2)]
        mine.close()
        everything.close()
        await asyncio.sleep(0.05)
        return got

    try:
        one.presence.seen("sara", NOW)
        assert two.presence.online(NOW + timedelta(minutes=1)) == ["sara"]
        assert two.presence.online(NOW + timedelta(minutes=6)) == []
        got = asyncio.run(exchange())
        assert [(e["sender_id"], e["text"]) for e in got] == [
            ("c1", "سلام"),
            ("c1", "سلام"),
            ("c2", "دیگری"),
        ]
    finally:
        one.close()
        two.close()


def test_redis_down_falls_back_to_this_process(caplog) -> None:
    live = open_live(f"redis://127.0.0.1:{free_port()}/0", "down")

    async def locally() -> dict:
        sub = live.bus.subscribe("c1")
        await sub.ready()
        await asyncio.to_thread(live.bus.publish, "c1", {"type": "message", "text": "سلام"})
        event = await asyncio.wait_for(sub.get(), 5)
        sub.close()
        await asyncio.sleep(0.05)
        return event

    caplog.set_level(logging.INFO, "pasokhgoo.live")
    try:
        with live.locks.hold("c1"):
            pass
        live.presence.seen("sara", NOW)
        assert live.presence.online(NOW) == ["sara"]
        assert asyncio.run(locally())["text"] == "سلام"
        events = [r.getMessage() for r in caplog.records]
        assert sum(e.startswith("redis.unavailable") for e in events) == 1  # once, not per call
    finally:
        live.close()


def test_backends_are_chosen_by_url_scheme() -> None:
    assert isinstance(open_live(None).bus, LocalBus)
    assert isinstance(open_live("memory://").bus, LocalBus)
    with pytest.raises(ConfigError, match="redis://"):
        open_live("amqp://broker")
