"""Rate limits on the customer chat endpoints: per sender and per client IP.

    RateLimit (Protocol)   hit(key) -> seconds to wait, or 0.0 when the request may pass
    LocalRateLimit         this process only, memory bounded (the least recent keys go)
    RedisRateLimit         shared by every worker (`api.ratelimit_redis`)

Both are GCRA token buckets: `per_minute` requests a minute on average, and up to
`per_minute` at once (a minute's worth of burst). `open_rate_limits(settings)` picks
the backend by `settings.redis_url`; a limit of 0 switches that limit off.

The per-IP limit applies to clients with a routable address only: behind a reverse
proxy that does not pass the client's address on (uvicorn `--forwarded-allow-ips`),
every request would come from loopback and one limit would throttle everyone.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from api.errors import ApiError
from bot.settings import Settings

__all__ = ["LocalRateLimit", "RateLimit", "RateLimits", "open_rate_limits"]


class RateLimit(Protocol):
    def hit(self, key: str) -> float:
        """Count a request; 0.0 when it may pass, else the seconds until one may."""


class LocalRateLimit:
    """GCRA in a dict of theoretical arrival times, at most `max_keys` of them."""

    def __init__(
        self,
        per_minute: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 60.0 / per_minute
        self.tolerance = self.interval * (per_minute - 1)  # the burst: a minute's worth
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._guard = threading.Lock()
        self._max = max_keys
        self._clock = clock

    def __len__(self) -> int:
        return len(self._tat)

    def hit(self, key: str) -> float:
        now = self._clock()
        with self._guard:
            tat = max(self._tat.pop(key, now), now)
            wait = tat - now - self.tolerance
            if wait > 0:
                self._tat[key] = tat
                return wait
            self._tat[key] = tat + self.interval
            while len(self._tat) > self._max:
                # forgetting a key only ever lets that client through sooner
                self._tat.popitem(last=False)
        return 0.0


@dataclass
class RateLimits:
    """The per-sender and per-IP limits of one worker (None: that limit is off)."""

    per_sender: RateLimit | None = None
    per_ip: RateLimit | None = None
    closer: Callable[[], None] = field(default=lambda: None, repr=False)

    async def check(self, request: Request, sender_id: str) -> None:
        """Raise the 429 `ApiError` when this request is over a limit."""
        if self.per_sender is None and self.per_ip is None:
            return
        ip = _routable_ip(request)
        wait, which = await run_in_threadpool(self._hit, ip, sender_id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"Too many messages from this {which}; retry in {seconds} s.",
                [{"limit": which, "retry_after": seconds}],
                headers={"Retry-After": str(seconds)},
            )

    def _hit(self, ip: str | None, sender_id: str) -> tuple[float, str]:
        if self.per_ip is not None and ip is not None:
            wait = self.per_ip.hit(f"ip:{ip}")
            if wait > 0:
                return wait, "ip"
        if self.per_sender is not None:
            wait = self.per_sender.hit(f"sender:{sender_id}")
            if wait > 0:
                return wait, "sender"
        return 0.0, ""

    def close(self) -> None:
        self.closer()


def _routable_ip(request: Request) -> str | None:
    host = request.client.host if request.client else None
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    return None if address.is_loopback else str(address)


def open_rate_limits(settings: Settings) -> RateLimits:
    """The limits the settings ask for, in Redis when `redis_url` is set."""
    sender, ip = settings.rate_per_sender, settings.rate_per_ip
    if not sender and not ip:
        return RateLimits()
    if settings.redis_url and not settings.redis_url.startswith("memory"):
        from api.ratelimit_redis import open_redis_rate_limits

        return open_redis_rate_limits(settings.redis_url, settings.redis_prefix, sender, ip)
    return RateLimits(
        LocalRateLimit(sender) if sender else None, LocalRateLimit(ip) if ip else None
    )
