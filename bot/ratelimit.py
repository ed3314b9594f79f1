"""Sliding-window rate limits, the way Telegram counts: at most N sends in any second.

aiolimiter's leaky bucket lets N + 1 through in some one-second windows, which a strict
counter answers with 429 and a pause of the whole channel. Here a slot is taken when a send
starts and given back when the platform refused it with a 5xx (it was not counted there).

Two implementations with one interface: in-process windows for one worker, and windows kept
in Redis (one Lua script, atomic, on Redis's clock) that N workers on any number of machines
share, so together they stay under the platform's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from typing import Any

from redis.asyncio import Redis

# Sends reach the platform a few milliseconds after they leave, not all equally fast; a
# window this much longer keeps two of them from landing in the same platform second.
JITTER = 0.01
# A full window spread out: at most a tenth of a second's worth at once (see Paced).
BURST_WINDOW = 0.1


class Limit:
    """What the sender needs of a limit: wait for and take a slot, give one back, move one
    to now, and stop everything for a while (a 429 for the whole channel)."""

    async def acquire(self) -> Any:
        raise NotImplementedError

    async def refund(self, stamp: Any) -> None:
        raise NotImplementedError

    async def restamp(self, stamp: Any) -> Any:
        """Move a reserved slot to now, when the send really starts, so the window measures
        actual send times and nothing slips in meanwhile."""
        await self.refund(stamp)
        return await self.acquire()

    async def pause(self, seconds: float) -> None:
        raise NotImplementedError


class SlidingWindow(Limit):
    def __init__(self, rate: float, burst: int | None = None, margin: float = JITTER) -> None:
        """`rate` per second on average, at most `burst` (default: one second's worth) at once."""
        self.limit = max(1, burst or round(rate))
        self.period = self.limit / rate + margin
        self.stamps: deque[float] = deque()
        self.paused_until = 0.0

    def _expire(self, now: float) -> None:
        while self.stamps and self.stamps[0] <= now - self.period:
            self.stamps.popleft()

    def delay(self) -> float:
        """Seconds until a slot is free (0: free now)."""
        now = time.monotonic()
        self._expire(now)
        pause = self.paused_until - now
        if len(self.stamps) < self.limit:
            return max(0.0, pause)
        return max(pause, self.stamps[0] + self.period - now)

    def take(self) -> float:
        stamp = time.monotonic()
        self.stamps.append(stamp)
        return stamp

    async def acquire(self) -> float:
        while (wait := self.delay()) > 0:  # noqa: ASYNC110 (time passing frees the slot)
            await asyncio.sleep(wait)
        return self.take()

    @property
    def idle(self) -> bool:
        return not self.stamps or self.stamps[-1] <= time.monotonic() - self.period

    async def refund(self, stamp: float) -> None:
        with contextlib.suppress(ValueError):  # already expired
            self.stamps.remove(stamp)

    async def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class Paced(Limit):
    """A per-second limit that also spreads sends out: at most a tenth of a second's worth at
    once. Without it a full window empties in bursts, and a reply that arrives just after a
    burst waits for the next one (half a second); with it, it waits for the next slot."""

    def __init__(self, rate: float) -> None:
        burst = max(1, round(rate * BURST_WINDOW))
        self.windows = (SlidingWindow(rate), SlidingWindow(rate, burst=burst, margin=0))

    async def acquire(self) -> float:
        while (wait := max(w.delay() for w in self.windows)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        stamp = time.monotonic()
        for w in self.windows:
            w.stamps.append(stamp)
        return stamp

    async def restamp(self, stamp: float) -> float:
        await self.refund(stamp)  # in-process: nothing can take the slot between the two
        return await self.acquire()

    async def refund(self, stamp: float) -> None:
        for w in self.windows:
            await w.refund(stamp)

    async def pause(self, seconds: float) -> None:
        await self.windows[0].pause(seconds)


# KEYS[1]: the pause key; KEYS[2..]: one sorted set per window, scored by send time (ms).
# ARGV[1]: this slot's id; then per window its limit and period (ms).
# Returns {1, 0} when the slot was taken, {0, ms to wait} otherwise.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return {0, paused} end
local wait = 0
for i = 2, #KEYS do
  local limit, period = tonumber(ARGV[2 * i - 2]), tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + period - now)
  end
end
if wait > 0 then return {0, math.ceil(wait)} end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i - 1])) + 1000)
end
return {1, 0}
"""


class RedisWindows(Limit):
    """The same windows, kept in Redis under `key` and shared by every worker. A slot is a
    random id in each window's sorted set, so a refund removes exactly that one."""

    def __init__(self, redis: Redis, key: str, windows: list[tuple[int, float]]) -> None:
        self.redis, self.key = redis, key
        self.keys = [f"{key}:pause", *(f"{key}:w{i}" for i in range(len(windows)))]
        self.args = [str(x) for limit, period in windows for x in (limit, period * 1000)]
        self.script = redis.register_script(_TAKE)

    @classmethod
    def paced(cls, redis: Redis, key: str, rate: float) -> RedisWindows:
        burst = max(1, round(rate * BURST_WINDOW))
        limit = max(1, round(rate))
        return cls(redis, key, [(limit, limit / rate + JITTER), (burst, burst / rate)])

    @classmethod
    def window(cls, redis: Redis, key: str, rate: float, burst: int) -> RedisWindows:
        return cls(redis, key, [(burst, burst / rate + JITTER)])

    async def acquire(self) -> str:
        slot = uuid.uuid4().hex
        while True:
            taken, wait_ms = await self.script(keys=self.keys, args=[slot, *self.args])
            if taken:
                return slot
            await asyncio.sleep(int(wait_ms) / 1000)

    async def refund(self, stamp: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self.keys[1:]:
                pipe.zrem(key, stamp)
            await pipe.execute()

    async def pause(self, seconds: float) -> None:
        await self.redis.set(self.keys[0], "1", px=max(1, int(seconds * 1000)))
