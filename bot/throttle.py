"""Limits on what one address or one visitor may ask of the public web chat: requests per
minute (a moving window, from the `limits` library) and streams open at once. In one
process they are kept in memory; with REDIS_URL, in Redis, so N workers enforce one limit.

Keys are keyed hashes (an address is personal data; Redis never sees it in clear).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections import defaultdict

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

STREAM_TTL = 60.0  # seconds a stream counts without a heartbeat (a killed worker's streams)


def per_minute(count: int) -> RateLimitItem:
    return RateLimitItemPerMinute(count)


class Throttle:
    def __init__(self, secret: str, redis_url: str | None = None) -> None:
        self._secret = secret.encode()
        storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix="qonys")
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)

    def key(self, kind: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{kind}:{value}".encode(), hashlib.sha256)
        return f"{kind}:{digest.hexdigest()[:32]}"

    async def hit(self, rule: RateLimitItem, key: str) -> float | None:
        """Count one request; None when allowed, else the seconds until one would be."""
        if await self._limiter.hit(rule, key):
            return None
        stats = await self._limiter.get_window_stats(rule, key)
        return max(1.0, stats.reset_time - time.time())


class StreamSlots:
    """How many live streams a key holds, at most `limit` at once. A slot is renewed while
    its stream lives (each ping) and lapses `STREAM_TTL` after, so a worker that dies
    without closing its streams frees their slots within a minute."""

    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis
        self._local: dict[str, dict[str, float]] = defaultdict(dict)

    async def enter(self, key: str, limit: int) -> str | None:
        """A slot id, or None when the key already holds `limit` live streams."""
        slot, now = uuid.uuid4().hex, time.time()
        if self.redis is not None:
            taken = await self.redis.eval(_ENTER, 1, f"qonys:streams:{key}", now, STREAM_TTL,
                                          limit, slot)  # fmt: skip
            return slot if taken else None
        live = self._local[key]
        for old in [s for s, until in live.items() if until < now]:
            del live[old]
        if len(live) >= limit:
            return None
        live[slot] = now + STREAM_TTL
        return slot

    async def renew(self, key: str, slot: str) -> None:
        until = time.time() + STREAM_TTL
        if self.redis is not None:
            await self.redis.zadd(f"qonys:streams:{key}", {slot: until}, xx=True)
        elif slot in self._local[key]:
            self._local[key][slot] = until

    async def leave(self, key: str, slot: str) -> None:
        if self.redis is not None:
            await self.redis.zrem(f"qonys:streams:{key}", slot)
            return
        self._local[key].pop(slot, None)
        if not self._local[key]:
            del self._local[key]


# Drop lapsed slots, then take one if fewer than the limit are live (atomic in Redis).
_ENTER = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""
