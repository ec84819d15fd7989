"""The live backends shared by every worker through Redis: locks, presence, events.

    RedisLocks     SET key token NX PX ttl per conversation; released by a Lua
                   compare-and-delete, so a worker never frees a lock it lost to expiry;
                   the expiry means a killed worker cannot block a conversation for long,
                   and a watchdog thread extends the locks a live worker holds every
                   ttl/3, so a slow turn keeps its lock however long it takes
    RedisPresence  a key per operator with a TTL
    RedisBus       PUBLISH JSON to a channel per conversation and to an all-channel; a
                   WebSocket's subscription reads with redis.asyncio in its own event loop
    RedisReleases  PUBLISH on `prefix:releases` when a training run is recorded; each
                   listener is a thread with a connection of its own that resubscribes
                   with backoff while Redis is away, and calls back on every subscription
                   too (a release may have been announced while it was not listening)

When Redis does not answer, every call falls back to the process-local backend of
`bot.live` (a turn is still answered; `redis.unavailable` is logged once) and the next
call after `retry_seconds` tries Redis again (`redis.recovered` when it answers).
The `redis` driver is imported here only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from bot.live import ALL, Live, LocalBus, LocalLocks, LocalPresence, Subscription

__all__ = [
    "RedisBus",
    "RedisHealth",
    "RedisLocks",
    "RedisPresence",
    "RedisReleases",
    "open_redis_live",
]

log = logging.getLogger("pasokhgoo.live")

T = TypeVar("T")

# delete the key only while it still holds our token: an expired lock another worker
# took over is left alone
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# extend the key's expiry only while it still holds our token
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class RedisHealth:
    """Whether Redis answered lately; logs the change of state once, not per call."""

    def __init__(self, retry_seconds: float = 1.0) -> None:
        self.retry_seconds = retry_seconds
        self._down_until = 0.0
        self._down = False
        self._guard = threading.Lock()

    def usable(self) -> bool:
        return not self._down or time.monotonic() >= self._down_until

    def failed(self, exc: BaseException) -> None:
        with self._guard:
            self._down_until = time.monotonic() + self.retry_seconds
            if not self._down:
                self._down = True
                log.warning("redis.unavailable error=%s", type(exc).__name__)

    def answered(self) -> None:
        if self._down:
            with self._guard:
                if self._down:
                    self._down = False
                    log.info("redis.recovered")

    def call(self, action: Callable[[], T], fallback: Callable[[], T]) -> T:
        """`action()` against Redis, or `fallback()` while Redis is down."""
        if not self.usable():
            return fallback()
        try:
            result = action()
        except (RedisError, OSError) as exc:
            self.failed(exc)
            return fallback()
        self.answered()
        return result


class RedisLocks:
    """A lock per conversation across workers (the process-local lock is held too, so
    threads of one worker queue up without polling Redis)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        health: RedisHealth,
        ttl_seconds: float = 10.0,
        wait_seconds: float = 10.0,
    ) -> None:
        self._client, self._prefix, self._health = client, prefix, health
        self._ttl_ms = int(ttl_seconds * 1000)
        self._wait = wait_seconds
        self._local = LocalLocks()
        self._release = client.register_script(_RELEASE)
        self._extend = client.register_script(_EXTEND)
        self._held = threading.local()
        self._holding: dict[str, str] = {}  # key → token of every lock this worker holds
        self._guard = threading.Lock()
        self._stopped = threading.Event()
        self._watchdog: threading.Thread | None = None

    @contextmanager
    def hold(self, sender_id: str) -> Iterator[None]:
        held: set[str] = self._held.__dict__.setdefault("keys", set())
        if sender_id in held:  # re-entered by the same thread
            yield
            return
        with self._local.hold(sender_id):
            key = f"{self._prefix}:lock:{sender_id}"
            token = self._acquire(key)
            held.add(sender_id)
            if token is not None:
                self._watch(key, token)
            try:
                yield
            finally:
                held.discard(sender_id)
                if token is not None:
                    with self._guard:
                        self._holding.pop(key, None)
                    self._health.call(lambda: self._release(keys=[key], args=[token]), lambda: None)

    def close(self) -> None:
        """Stop the watchdog (the locks still held then expire on their own)."""
        self._stopped.set()

    def _watch(self, key: str, token: str) -> None:
        with self._guard:
            self._holding[key] = token
            if self._watchdog is None:
                self._watchdog = threading.Thread(
                    target=self._keep_alive, name="pasokhgoo-lock-watchdog", daemon=True
                )
                self._watchdog.start()

    def _keep_alive(self) -> None:
        """Every ttl/3, push back the expiry of each lock still held, in one round trip."""
        while not self._stopped.wait(self._ttl_ms / 3000):
            with self._guard:
                holding = list(self._holding.items())
            if holding:
                extended = self._health.call(partial(self._extend_all, holding), lambda: None)
                for (key, token), ok in zip(holding, extended or (), strict=False):
                    if not ok and self._holding.get(key) == token:
                        # it expired before we got to it (Redis stalled, or a pause
                        # longer than the TTL): another worker may be in this turn now
                        log.warning("lock.lost")

    def _extend_all(self, holding: list[tuple[str, str]]) -> list[int]:
        pipe = self._client.pipeline(transaction=False)
        for key, token in holding:
            self._extend(keys=[key], args=[token, self._ttl_ms], client=pipe)
        return pipe.execute()

    def _acquire(self, key: str) -> str | None:
        """Our token once the lock is ours; None when Redis is down (local lock only)."""
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self._wait
        pause = 0.005
        while True:
            taken = self._health.call(
                lambda: bool(self._client.set(key, token, nx=True, px=self._ttl_ms)),
                lambda: None,
            )
            if taken is None:
                return None
            if taken:
                return token
            if time.monotonic() >= deadline:
                # the holder is stuck or slow: its lock expires on its own; answering the
                # customer matters more than strict ordering of this one turn
                log.warning("lock.wait_expired wait_s=%s", self._wait)
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


class RedisPresence:
    """Operators seen within `ttl`: one key each, expiring on its own."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        health: RedisHealth,
        ttl: timedelta = timedelta(minutes=5),
    ) -> None:
        self._client, self._prefix, self._health, self._ttl = client, prefix, health, ttl
        self._local = LocalPresence(ttl)

    def seen(self, operator: str, now: datetime) -> None:
        self._local.seen(operator, now)
        key = f"{self._prefix}:presence:{operator}"
        seconds = max(1, int(self._ttl.total_seconds()))
        self._health.call(lambda: self._client.set(key, now.isoformat(), ex=seconds), lambda: None)

    def online(self, now: datetime) -> list[str]:
        return self._health.call(lambda: self._online(now), lambda: self._local.online(now))

    def _online(self, now: datetime) -> list[str]:
        start = len(f"{self._prefix}:presence:")
        keys = list(self._client.scan_iter(match=f"{self._prefix}:presence:*", count=500))
        values = self._client.mget(keys) if keys else []
        names = []
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            at = datetime.fromisoformat(value.decode())
            if now - at <= self._ttl:  # the engine's clock decides, as in LocalPresence
                names.append(key.decode()[start:])
        return sorted(names)


class RedisSubscription(Subscription):
    """Events from Redis pub/sub (and from this process's bus while Redis is down)."""

    def __init__(self, bus: RedisBus, key: str) -> None:
        super().__init__(bus._local, key)
        bus._local._add(self)
        self._redis_bus = bus
        self._subscribed = asyncio.Event()
        self._task = self.loop.create_task(self._listen())

    async def ready(self, timeout: float = 2.0) -> None:
        """Wait (a bounded time) until Redis delivers this channel's events, so a client
        told "connected" misses nothing published after that."""
        if not self._redis_bus.health.usable():
            return  # Redis is known to be down: this worker's own events still arrive
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout)

    async def _listen(self) -> None:
        bus = self._redis_bus
        channel = bus.channel(self.key)
        pause = 0.2
        while True:
            client = aioredis.Redis.from_url(bus.url, socket_connect_timeout=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                self._subscribed.set()
                pause = 0.2
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        self.deliver_here(json.loads(item["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, ValueError) as exc:
                bus.health.failed(exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(pause)  # Redis is away: resubscribe when it is back
            pause = min(pause * 2, 2.0)

    def deliver_here(self, event: dict[str, Any]) -> None:
        if not self.queue.full():  # a stalled client loses events, not the server
            self.queue.put_nowait(event)

    def close(self) -> None:
        self._task.cancel()
        super().close()


class RedisBus:
    """Publish/subscribe across workers; `publish` may be called from any thread."""

    def __init__(self, client: redis.Redis, url: str, prefix: str, health: RedisHealth) -> None:
        self._client, self.url, self._prefix, self.health = client, url, prefix, health
        self._local = LocalBus()

    def channel(self, sender_id: str) -> str:
        return f"{self._prefix}:events:{'__all__' if sender_id == ALL else sender_id}"

    def publish(self, sender_id: str, event: dict[str, Any]) -> None:
        payload = json.dumps({"sender_id": sender_id, **event}, ensure_ascii=False)

        def send() -> None:
            pipe = self._client.pipeline(transaction=False)
            pipe.publish(self.channel(sender_id), payload)
            pipe.publish(self.channel(ALL), payload)
            pipe.execute()

        # while Redis is down, at least this worker's subscribers hear it
        self.health.call(send, lambda: self._local.publish(sender_id, event))

    def subscribe(self, sender_id: str) -> Subscription:
        return RedisSubscription(self, sender_id)


class RedisReleases:
    """The release signal across workers (a hint: listeners read the release from the
    database, so a signal lost while Redis is down costs only the wait for the poll)."""

    # how often a listener looks up from its socket to see whether it was closed
    TICK_SECONDS = 0.5

    def __init__(self, client: redis.Redis, url: str, prefix: str, health: RedisHealth) -> None:
        self._client, self.url, self.health = client, url, health
        self.channel = f"{prefix}:releases"
        # the listeners' own: their connection dropping (noticed at once, with no retries)
        # must not send the turns' locks and events to this process before they try Redis
        self.listening = RedisHealth()
        self._stopped = threading.Event()
        self._listeners: list[threading.Thread] = []

    def announce(self, release_id: int) -> None:
        payload = json.dumps({"release_id": release_id})
        # while Redis is down the other workers find the release by polling
        self.health.call(lambda: self._client.publish(self.channel, payload), lambda: None)

    def listen(self, on_release: Callable[[], None]) -> None:
        thread = threading.Thread(
            target=self._listen, args=(on_release,), name="pasokhgoo-release-signal", daemon=True
        )
        self._listeners.append(thread)
        thread.start()

    def close(self) -> None:
        self._stopped.set()
        for thread in self._listeners:
            thread.join(timeout=2 * self.TICK_SECONDS)

    def _listen(self, on_release: Callable[[], None]) -> None:
        pause = 0.2
        while not self._stopped.is_set():
            # no retries inside redis-py: a dropped connection ends up here, and the
            # confirmation of the next subscription means "check what was missed"
            client = redis.Redis.from_url(
                self.url,
                socket_connect_timeout=1.0,
                socket_timeout=5.0,
                health_check_interval=30,
                retry=Retry(NoBackoff(), 0),
            )
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                while not self._stopped.is_set():
                    item = pubsub.get_message(timeout=self.TICK_SECONDS)
                    if item is None:
                        continue
                    if item["type"] == "subscribe":
                        self.listening.answered()
                        pause = 0.2
                    if item["type"] in ("subscribe", "message"):
                        on_release()
            except (RedisError, OSError) as exc:
                self.listening.failed(exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    pubsub.close()
                    client.close()
            self._stopped.wait(pause)  # Redis is away: resubscribe when it is back
            pause = min(pause * 2, 2.0)


def open_redis_live(
    url: str,
    prefix: str,
    *,
    lock_ttl_seconds: float = 10.0,
    lock_wait_seconds: float = 10.0,
    presence_ttl: timedelta = timedelta(minutes=5),
) -> Live:
    """The backends on one connection pool (each release listener has a connection of
    its own), closed by `Live.close`.

    Nothing is sent yet: a worker starts even while Redis is down."""
    client = redis.Redis.from_url(
        url, socket_connect_timeout=1.0, socket_timeout=2.0, health_check_interval=30
    )
    health = RedisHealth()
    locks = RedisLocks(client, prefix, health, lock_ttl_seconds, lock_wait_seconds)
    releases = RedisReleases(client, url, prefix, health)

    def close() -> None:
        locks.close()
        releases.close()
        client.close()

    return Live(
        locks=locks,
        presence=RedisPresence(client, prefix, health, presence_ttl),
        bus=RedisBus(client, url, prefix, health),
        releases=releases,
        closer=close,
    )
