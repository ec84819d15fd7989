"""The Redis live backends (bot.live_redis): lock ownership and expiry, events, presence,
the release signal (directly, and between two apps that never poll), and the fall-back to
this process while Redis is down."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from apihelpers import ADMIN
from serverkit import REDIS_URL, ThrowawayRedis, free_port, redis_prefix
from workbenchkit import GIFT_CARD, GIFT_CARD_PARAPHRASE, say, small_settings, train

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


class Heard:
    """A release listener's calls, waited for from the test's thread."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= count, timeout)


def assert_follows(first, second, within: float) -> None:
    """The second worker serves the model the first just trained, within `within` s."""
    trained = first.get("/readyz").json()["model"]["data_hash"]
    deadline = time.monotonic() + within
    while second.get("/readyz").json()["model"]["data_hash"] != trained:
        assert time.monotonic() < deadline, f"the second worker did not follow in {within} s"
        time.sleep(0.02)


@pytest.mark.redis
def test_a_release_signal_reaches_every_workers_listener(prefix) -> None:
    one, two, other = (open_live(REDIS_URL, p) for p in (prefix, prefix, f"{prefix}x"))
    heard_one, heard_two, heard_other = Heard(), Heard(), Heard()
    try:
        one.releases.listen(heard_one)
        two.releases.listen(heard_two)
        other.releases.listen(heard_other)  # another deployment sharing the Redis
        # each listener checks once when it has subscribed: it may have missed a signal
        for heard in (heard_one, heard_two, heard_other):
            assert heard.wait_for(1)
        started = time.monotonic()
        one.releases.announce(7)
        assert heard_two.wait_for(2) and heard_one.wait_for(2)
        assert time.monotonic() - started < 1.0
        time.sleep(0.2)
        assert (heard_one.count, heard_two.count, heard_other.count) == (2, 2, 1)
    finally:
        for live in (one, two, other):
            live.close()
    assert not [t for t in threading.enumerate() if t.name == "pasokhgoo-release-signal"]


@pytest.mark.redis
@pytest.mark.slow
def test_a_release_listener_resubscribes_when_redis_comes_back(tmp_path, caplog) -> None:
    throwaway = ThrowawayRedis(tmp_path)
    throwaway.start()
    live, announcer = open_live(throwaway.url, "r"), open_live(throwaway.url, "r")
    heard = Heard()
    caplog.set_level(logging.INFO, "pasokhgoo.live")
    try:
        live.releases.listen(heard)
        assert heard.wait_for(1)
        throwaway.stop()
        announcer.releases.announce(1)  # nobody hears it, and nothing fails
        time.sleep(0.5)
        throwaway.start()  # the same port, empty
        # resubscribed by itself, it checks at once for what it missed …
        assert heard.wait_for(2, timeout=10)
        # … and hears the next signal (the announcer retries Redis a second after its
        # failure; until then its signals are dropped, as while Redis was down)
        deadline = time.monotonic() + 5
        while not heard.wait_for(3, timeout=0.2):
            assert time.monotonic() < deadline, "the listener never heard Redis again"
            announcer.releases.announce(2)
        events = [r.getMessage() for r in caplog.records]
        assert any(e.startswith("redis.unavailable") for e in events)
        assert "redis.recovered" in events
    finally:
        live.close()
        announcer.close()
        throwaway.stop()


@pytest.mark.redis
@pytest.mark.slow
def test_workers_that_never_poll_serve_a_model_trained_on_another(serve, tmp_path, prefix) -> None:
    """Two apps on one database and model folder, each with its own Redis connection and
    no polling: the second serves what the first trained as soon as it is recorded."""
    settings = small_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=prefix)
    with serve(**settings) as first, serve(**settings) as second:
        first.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD)
        assert say(second, GIFT_CARD_PARAPHRASE, "before")["action"] != "answer"
        assert train(first)["status"] == "succeeded"
        assert_follows(first, second, within=2)
        answered = say(second, GIFT_CARD_PARAPHRASE, "after")
        assert answered["replies"][0]["text"] == GIFT_CARD["answer"]


@pytest.mark.slow
def test_redis_down_training_still_reaches_other_workers_by_polling(serve, tmp_path) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings = small_settings(tmp_path, redis_url=down, model_poll_seconds=0.1)
    with serve(**settings) as first, serve(**settings) as second:
        first.post("/v1/admin/faq", headers=ADMIN, json=GIFT_CARD)
        assert train(first)["status"] == "succeeded"  # the signal is lost, quietly
        assert_follows(first, second, within=15)
        answered = say(second, GIFT_CARD_PARAPHRASE, "after")
        assert answered["replies"][0]["text"] == GIFT_CARD["answer"]


@pytest.mark.redis
def test_pasokhgoo_train_signals_running_workers(prefix, tmp_path, monkeypatch) -> None:
    """`pasokhgoo train` against a server's database tells its workers, like the admin
    page's training does."""
    from typer.testing import CliRunner

    from bot.cli import app

    settings = small_settings(tmp_path)
    monkeypatch.setenv("PASOKHGOO_DATA_DIR", str(settings["data_dir"]))
    monkeypatch.setenv("PASOKHGOO_MODEL_DIR", str(settings["model_dir"]))
    monkeypatch.setenv("PASOKHGOO_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("PASOKHGOO_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("PASOKHGOO_REDIS_PREFIX", prefix)
    worker, heard = open_live(REDIS_URL, prefix), Heard()
    try:
        worker.releases.listen(heard)
        assert heard.wait_for(1)  # subscribed (it checks once on subscribing)
        result = CliRunner().invoke(app, ["train"])
        assert result.exit_code == 0, result.output
        assert heard.wait_for(2)
    finally:
        worker.close()
