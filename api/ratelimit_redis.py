"""The rate limits in Redis, shared by every worker (GCRA, as `api.ratelimit`).

While Redis does not answer, each worker counts on its own (`LocalRateLimit`) and goes
back to Redis by itself. The `redis` driver is imported here only (and in
`bot.live_redis`).
"""

from __future__ import annotations

import redis

from api.ratelimit import LocalRateLimit, RateLimits
from bot.live_redis import RedisHealth

__all__ = ["RedisRateLimit", "open_redis_rate_limits"]

# Redis's own clock, so workers with drifting clocks agree; the key expires once the
# bucket is full again
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > 0 then return tostring(wait) end
tat = tat + interval
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
return '0'
"""


class RedisRateLimit:
    def __init__(
        self, client: redis.Redis, prefix: str, per_minute: int, health: RedisHealth
    ) -> None:
        self._local = LocalRateLimit(per_minute)
        self._interval, self._tolerance = self._local.interval, self._local.tolerance
        self._script = client.register_script(_GCRA)
        self._prefix, self._health = prefix, health

    def hit(self, key: str) -> float:
        def remote() -> float:
            args = [repr(self._interval), repr(self._tolerance)]
            return float(self._script(keys=[f"{self._prefix}:rate:{key}"], args=args))

        return self._health.call(remote, lambda: self._local.hit(key))


def open_redis_rate_limits(url: str, prefix: str, per_sender: int, per_ip: int) -> RateLimits:
    client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=2.0)
    health = RedisHealth()
    return RateLimits(
        RedisRateLimit(client, prefix, per_sender, health) if per_sender else None,
        RedisRateLimit(client, prefix, per_ip, health) if per_ip else None,
        client.close,
    )
