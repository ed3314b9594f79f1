"""Sliding-window rate limits, the way Telegram counts: at most N sends in any second.

aiolimiter's leaky bucket lets N + 1 through in some one-second windows, which a strict
counter answers with 429 and a pause of the whole channel. Here a slot is taken when a send
starts, given back when the platform refused it with a 5xx (it was not counted there), and
moved later when the answer came back late (it may have arrived, and been counted, late).

Sends are also spread out by a token bucket (at most a tenth of a second's worth at once),
so a reply never lands behind a whole second's burst of campaign messages.

Two implementations with one interface: in-process for one worker, and kept in Redis (one
Lua script, atomic, on Redis's clock) that N workers on any number of machines share, so
together they stay under the platform's limit.
"""

from __future__ import annotations

import asyncio
import bisect
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

    async def postpone(self, stamp: Any, seconds: float) -> None:
        """Count a send `seconds` later than it left: its answer came back that much slower
        than usual, so the platform may have received (and counted) it that late."""
        raise NotImplementedError

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

    def forget(self, stamp: float) -> bool:
        """Drop a stamp; False when it had already expired."""
        try:
            self.stamps.remove(stamp)
        except ValueError:
            return False
        return True

    async def refund(self, stamp: float) -> None:
        self.forget(stamp)

    async def postpone(self, stamp: float, seconds: float) -> None:
        if self.forget(stamp):
            bisect.insort(self.stamps, stamp + seconds)  # kept in order: the oldest expires first

    async def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class Bucket:
    """A token bucket kept as its theoretical arrival time (GCRA): `rate` per second on
    average, at most `burst` at once. Unlike a sliding window it keeps no record of when
    sends happened, so a send that starts late (the event loop was busy) does not push all
    the later ones back: the bucket lets the next ones catch up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.tat = 0.0

    def delay(self) -> float:
        return max(0.0, self.tat - self.tolerance - time.monotonic())

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval

    def refund(self) -> None:
        self.tat -= self.interval


class Paced(Limit):
    """A per-second limit that also spreads sends out: at most a tenth of a second's worth at
    once. Without it a full window empties in bursts, and a reply that arrives just after a
    burst waits for the next one (half a second); with it, it waits for the next slot."""

    def __init__(self, rate: float) -> None:
        self.window = SlidingWindow(rate)
        self.bucket = Bucket(rate, max(1, round(rate * BURST_WINDOW)))

    async def acquire(self) -> float:
        while (wait := max(self.window.delay(), self.bucket.delay())) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        stamp = self.window.take()
        self.bucket.take(stamp)
        return stamp

    async def restamp(self, stamp: float) -> float:
        # The bucket paces starts, the window counts them: only the window's stamp moves.
        await self.window.refund(stamp)
        return await self.window.acquire()

    async def refund(self, stamp: float) -> None:
        if self.window.forget(stamp):
            self.bucket.refund()

    async def postpone(self, stamp: float, seconds: float) -> None:
        await self.window.postpone(stamp, seconds)

    async def pause(self, seconds: float) -> None:
        await self.window.pause(seconds)


# KEYS[1]: the pause key; KEYS[2]: the bucket's arrival time (ms, unused when ARGV[2] is 0);
# KEYS[3..]: one sorted set per window, scored by send time (ms). ARGV[1]: this slot's id;
# ARGV[2], ARGV[3]: the bucket's interval and tolerance (ms); then per window its limit and
# period (ms). Returns {1, 0} when the slot was taken, {0, ms to wait} otherwise.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return {0, paused} end
local interval, tolerance = tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
local wait = 0
if interval > 0 then wait = tat - tolerance - now end
for i = 3, #KEYS do
  local limit, period = tonumber(ARGV[2 * i - 2]), tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + period - now)
  end
end
if wait > 0 then return {0, math.ceil(wait)} end
if interval > 0 then
  redis.call('SET', KEYS[2], tostring(math.max(tat, now) + interval), 'PX', 60000)
end
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i - 1])) + 1000)
end
return {1, 0}
"""

# Gives a slot back: out of every window, and its interval back to the bucket if it was
# still counted (an expired slot is not refunded twice). KEYS and ARGV[1..2] as above.
_REFUND = """
local counted = 0
for i = 3, #KEYS do counted = counted + redis.call('ZREM', KEYS[i], ARGV[1]) end
local interval = tonumber(ARGV[2])
if counted > 0 and interval > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('INCRBYFLOAT', KEYS[2], -interval)
end
return counted
"""


class RedisWindows(Limit):
    """The same limits, kept in Redis under `key` and shared by every worker. A slot is a
    random id in each window's sorted set, so a refund removes exactly that one."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        windows: list[tuple[int, float]],
        bucket: tuple[float, int] | None = None,
    ) -> None:
        """`windows`: (limit, period in seconds) each; `bucket`: (rate, burst), as Bucket."""
        self.redis, self.key = redis, key
        self.keys = [f"{key}:pause", f"{key}:tat", *(f"{key}:w{i}" for i in range(len(windows)))]
        interval, tolerance = 0.0, 0.0
        if bucket:
            interval = 1000 / bucket[0]
            tolerance = (bucket[1] - 1) * interval
        self.bucket_args = [str(interval), str(tolerance)]
        self.args = [str(x) for limit, period in windows for x in (limit, period * 1000)]
        self.take = redis.register_script(_TAKE)
        self.give_back = redis.register_script(_REFUND)

    @classmethod
    def paced(cls, redis: Redis, key: str, rate: float) -> RedisWindows:
        limit = max(1, round(rate))
        bucket = (rate, max(1, round(rate * BURST_WINDOW)))
        return cls(redis, key, [(limit, limit / rate + JITTER)], bucket)

    @classmethod
    def window(cls, redis: Redis, key: str, rate: float, burst: int) -> RedisWindows:
        return cls(redis, key, [(burst, burst / rate + JITTER)])

    async def acquire(self) -> str:
        slot = uuid.uuid4().hex
        while True:
            args = [slot, *self.bucket_args, *self.args]
            taken, wait_ms = await self.take(keys=self.keys, args=args)
            if taken:
                return slot
            await asyncio.sleep(int(wait_ms) / 1000)

    async def refund(self, stamp: str) -> None:
        await self.give_back(keys=self.keys, args=[stamp, *self.bucket_args])

    async def postpone(self, stamp: str, seconds: float) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self.keys[2:]:  # XX: an expired slot stays gone
                pipe.zadd(key, {stamp: seconds * 1000}, xx=True, incr=True)
            await pipe.execute()

    async def pause(self, seconds: float) -> None:
        await self.redis.set(self.keys[0], "1", px=max(1, int(seconds * 1000)))
