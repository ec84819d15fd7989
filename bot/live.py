"""What workers share while a conversation is live: locks, operator presence, events,
and the signal that a new model was released.

These are the single-process backends (the embedded default): a lock per conversation so
two messages of one customer are never handled at once, who of the operators was seen
recently, a bus that pushes transcript events to WebSocket subscribers, and the release
signal that wakes every worker's model watcher when a training run is recorded. The
engine and the workbench reach them through the Protocols below; `open_live(url)` picks
the backend by URL:

    None or memory://    this process only (one worker)
    redis://host:6379/0  shared by every worker (`bot.live_redis`; rediss:// for TLS)
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

__all__ = [
    "ConversationLocks",
    "EventBus",
    "Live",
    "LocalBus",
    "LocalLocks",
    "LocalPresence",
    "LocalReleases",
    "OperatorPresence",
    "ReleaseSignal",
    "Subscription",
    "open_live",
]

ALL = "*"  # subscribe to every conversation's events (the operator console)


class ConversationLocks(Protocol):
    def hold(self, sender_id: str) -> AbstractContextManager[None]: ...


class OperatorPresence(Protocol):
    def seen(self, operator: str, now: datetime) -> None: ...

    def online(self, now: datetime) -> list[str]: ...


class EventBus(Protocol):
    def publish(self, sender_id: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, sender_id: str) -> Subscription: ...


class ReleaseSignal(Protocol):
    """The worker that recorded a new model announces it; every worker's listener hears.

    A hint, not a record: the release itself is in the database, and a listener checks
    the latest one there (so a lost or duplicated signal is harmless)."""

    def announce(self, release_id: int) -> None: ...

    def listen(self, on_release: Callable[[], None]) -> None:
        """Call `on_release` (from any thread, quickly) on each signal, until closed."""
        ...


class LocalLocks:
    """A lock per conversation, kept only while a turn holds or waits for it, so memory
    follows the turns in progress, not every customer ever seen."""

    def __init__(self) -> None:
        self._locks: dict[str, _Held] = {}
        self._guard = threading.Lock()

    def __len__(self) -> int:
        return len(self._locks)

    @contextmanager
    def hold(self, sender_id: str) -> Iterator[None]:
        with self._guard:
            held = self._locks.get(sender_id)
            if held is None:
                held = self._locks[sender_id] = _Held()
            held.users += 1
        try:
            with held.lock:
                yield
        finally:
            with self._guard:
                held.users -= 1
                if not held.users:
                    del self._locks[sender_id]


@dataclass
class _Held:
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0  # turns holding or waiting (a re-entered hold counts again)


class LocalPresence:
    """Operators count as online for `ttl` after their last request."""

    def __init__(self, ttl: timedelta = timedelta(minutes=5)) -> None:
        self._last: dict[str, datetime] = {}
        self._ttl = ttl
        self._guard = threading.Lock()

    def seen(self, operator: str, now: datetime) -> None:
        with self._guard:
            self._last[operator] = now

    def online(self, now: datetime) -> list[str]:
        with self._guard:
            return sorted(op for op, at in self._last.items() if now - at <= self._ttl)


class Subscription:
    """Events for one conversation (or all, with "*"), delivered to an asyncio queue."""

    def __init__(self, bus: LocalBus, key: str) -> None:
        self._bus = bus
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    def deliver(self, event: dict[str, Any]) -> None:
        def put() -> None:
            if not self.queue.full():  # a stalled client loses events, not the server
                self.queue.put_nowait(event)

        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(put)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self._bus._unsubscribe(self)


class LocalBus:
    """In-process publish/subscribe; `publish` may be called from any thread."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._guard = threading.Lock()

    def publish(self, sender_id: str, event: dict[str, Any]) -> None:
        event = {"sender_id": sender_id, **event}
        with self._guard:
            targets = [*self._subs.get(sender_id, ()), *self._subs.get(ALL, ())]
        for sub in targets:
            sub.deliver(event)

    def subscribe(self, sender_id: str) -> Subscription:
        return self._add(Subscription(self, sender_id))

    def _add(self, sub: Subscription) -> Subscription:
        with self._guard:
            self._subs[sub.key].add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._guard:
            subs = self._subs.get(sub.key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.key]


class LocalReleases:
    """Release signals within this process: with one worker, its own trainer has already
    swapped the model in, so a listener that hears it finds nothing new."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []
        self._guard = threading.Lock()

    def announce(self, release_id: int) -> None:
        with self._guard:
            listeners = list(self._listeners)
        for on_release in listeners:
            on_release()

    def listen(self, on_release: Callable[[], None]) -> None:
        with self._guard:
            self._listeners.append(on_release)


@dataclass
class Live:
    """The live backends of one worker, and how to release their connections."""

    locks: ConversationLocks = field(default_factory=LocalLocks)
    presence: OperatorPresence = field(default_factory=LocalPresence)
    bus: EventBus = field(default_factory=LocalBus)
    releases: ReleaseSignal = field(default_factory=LocalReleases)
    closer: Callable[[], None] = field(default=lambda: None, repr=False)

    def close(self) -> None:
        self.closer()


def open_live(
    url: str | None,
    prefix: str = "pasokhgoo",
    *,
    lock_ttl_seconds: float = 10.0,
    lock_wait_seconds: float = 10.0,
) -> Live:
    """The backends `url` names (see the module docstring)."""
    scheme = url.partition("://")[0].lower() if url else "memory"
    if scheme == "memory":
        return Live()
    if scheme in {"redis", "rediss", "unix"}:
        from bot.live_redis import open_redis_live

        return open_redis_live(
            url or "",
            prefix,
            lock_ttl_seconds=lock_ttl_seconds,
            lock_wait_seconds=lock_wait_seconds,
        )
    from bot.errors import ConfigError

    raise ConfigError(f"unsupported Redis URL scheme {scheme!r}; use redis:// or memory://")
