"""A sliding-window rate limit, the way Telegram counts: at most N sends in any second.

aiolimiter's leaky bucket lets N + 1 through in some one-second windows, which a strict
counter answers with 429 and a pause of the whole channel. Here a slot is taken when a send
starts and given back when the platform refused it with a 5xx (it was not counted there).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

# Sends reach the platform a few milliseconds after they leave, not all equally fast; a
# window this much longer keeps two of them from landing in the same platform second.
JITTER = 0.02


class _Limit:
    """Waiting for a slot, shared by the limits below: each says how long until one is free
    (`delay`) and how to take it (`take`)."""

    def delay(self) -> float:
        raise NotImplementedError

    def take(self) -> float:
        raise NotImplementedError

    async def ready(self) -> None:
        while (wait := self.delay()) > 0:  # noqa: ASYNC110 (time passing frees the slot)
            await asyncio.sleep(wait)

    async def acquire(self) -> float:
        await self.ready()
        return self.take()


class SlidingWindow(_Limit):
    def __init__(self, rate: float, burst: int | None = None, margin: float = JITTER) -> None:
        """`rate` per second on average, at most `burst` (default: one second's worth) at once."""
        self.limit = max(1, burst or round(rate))
        self.period = self.limit / rate + margin
        self.stamps: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self.stamps and self.stamps[0] <= now - self.period:
            self.stamps.popleft()

    def delay(self) -> float:
        """Seconds until a slot is free (0: free now)."""
        now = time.monotonic()
        self._expire(now)
        if len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[0] + self.period - now

    def take(self) -> float:
        stamp = time.monotonic()
        self.stamps.append(stamp)
        return stamp

    @property
    def idle(self) -> bool:
        return not self.stamps or self.stamps[-1] <= time.monotonic() - self.period

    def refund(self, stamp: float) -> None:
        with contextlib.suppress(ValueError):  # already expired
            self.stamps.remove(stamp)


class Paced(_Limit):
    """A per-second limit that also spreads sends out: at most a tenth of a second's worth at
    once. Without it a full window empties in bursts, and a reply that arrives just after a
    burst waits for the next one (half a second); with it, it waits for the next slot."""

    def __init__(self, rate: float) -> None:
        burst = max(1, round(rate / 10))
        self.windows = (SlidingWindow(rate), SlidingWindow(rate, burst=burst, margin=0))

    def delay(self) -> float:
        return max(w.delay() for w in self.windows)

    def take(self) -> float:
        stamp = time.monotonic()
        for w in self.windows:
            w.stamps.append(stamp)
        return stamp

    async def restamp(self, stamp: float) -> float:
        """Move a reserved slot to now, when the send really starts: nothing else slips in
        meanwhile, and the window measures actual send times."""
        self.refund(stamp)
        if self.delay() > 0:  # the reservation had expired meanwhile
            return await self.acquire()
        return self.take()

    def refund(self, stamp: float) -> None:
        for w in self.windows:
            w.refund(stamp)
