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


class SlidingWindow:
    def __init__(self, rate: float, margin: float = JITTER) -> None:
        self.limit = max(1, round(rate))
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

    async def ready(self) -> None:
        while (wait := self.delay()) > 0:  # noqa: ASYNC110 (time passing frees the slot)
            await asyncio.sleep(wait)

    def take(self) -> float:
        stamp = time.monotonic()
        self.stamps.append(stamp)
        return stamp

    async def acquire(self) -> float:
        await self.ready()
        return self.take()

    def refund(self, stamp: float) -> None:
        with contextlib.suppress(ValueError):  # already expired
            self.stamps.remove(stamp)
