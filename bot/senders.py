"""Per-channel sender: claims outbox rows, paces them, retries and records the outcome.

Pacing is a global rate for the channel and a small burst per chat, so a reply of two or
three messages arrives at once while sustained traffic to one chat stays near the limit
(Telegram: ~30 msg/s overall, ~1 msg/s per chat).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from aiolimiter import AsyncLimiter
from sqlalchemy import update

from bot import outbox
from bot.channels.base import Deferred, Deliverer, Permanent, RetryAfter, Transient, Unreachable
from storage.db import Database
from storage.models import Contact, utcnow

log = logging.getLogger(__name__)


class ChatLimiters:
    """A leaky bucket per chat, forgotten after it has been idle a while."""

    def __init__(self, rate: float, burst: int, idle_seconds: float = 300) -> None:
        self.rate, self.burst, self.idle = rate, burst, idle_seconds
        self._buckets: dict[str, tuple[AsyncLimiter, float]] = {}

    def get(self, chat: str) -> AsyncLimiter:
        now = time.monotonic()
        if len(self._buckets) > 10_000:
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < self.idle}
        limiter = self._buckets.get(chat, (None, 0))[0] or AsyncLimiter(
            self.burst, self.burst / self.rate
        )
        self._buckets[chat] = (limiter, now)
        return limiter


class Sender:
    def __init__(
        self,
        db: Database,
        channel: Deliverer,
        *,
        rate: float = 1000.0,
        per_chat_rate: float = 1000.0,
        per_chat_burst: int = 1000,
        max_attempts: int = 8,
        lease_seconds: int = 60,
        batch: int = 50,
        idle_poll: float = 1.0,
        backoff: Callable[[int], float] = outbox.backoff,
    ) -> None:
        self.db, self.channel = db, channel
        self.limiter = AsyncLimiter(max(1.0, rate), max(1.0, rate) / rate)
        self.chats = ChatLimiters(per_chat_rate, per_chat_burst)
        self.max_attempts, self.lease, self.batch, self.idle_poll = (
            max_attempts,
            lease_seconds,
            batch,
            idle_poll,
        )
        self.backoff = backoff
        self.wake = asyncio.Event()
        self.paused_until = 0.0
        self._task: asyncio.Task | None = None

    def notify(self) -> None:
        self.wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"sender-{self.channel.name}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def run(self) -> None:
        await outbox.release_stale(self.db, self.lease)
        while True:
            # Cleared before looking for work: a notify that arrives while we look is kept.
            self.wake.clear()
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not kill the sender
                log.exception("sender %s: batch failed", self.channel.name)
                sent = 0
            if not sent:
                await self._sleep()

    async def _sleep(self) -> None:
        try:
            await asyncio.wait_for(self.wake.wait(), self.idle_poll)
        except TimeoutError:
            await outbox.release_stale(self.db, self.lease)

    async def run_once(self) -> int:
        """Claim and settle one batch; returns how many rows were claimed."""
        pause = self.paused_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        rows = await outbox.claim(self.db, self.channel.name, self.batch)
        if rows:
            await asyncio.gather(*(self._send(row) for row in rows))
        return len(rows)

    async def _send(self, row: outbox.Claimed) -> None:
        async with self.chats.get(row.chat_id), self.limiter:
            try:
                external_id = await self.channel.deliver(row)
            except RetryAfter as exc:
                await self._retry_after(row, exc)
            except Deferred as exc:
                await outbox.wait(self.db, row.id, str(exc))
            except Unreachable as exc:
                await self._unreachable(row, str(exc))
            except Permanent as exc:
                log.warning("message %s refused: %s", row.id, exc)
                await outbox.mark_failed(self.db, row.id, str(exc))
            except (Transient, TimeoutError, OSError) as exc:
                await self._transient(row, exc)
            else:
                await outbox.mark_sent(self.db, row.id, external_id)

    async def _retry_after(self, row: outbox.Claimed, exc: RetryAfter) -> None:
        if exc.whole_channel:
            self.paused_until = max(self.paused_until, time.monotonic() + exc.seconds)
        at = utcnow() + timedelta(seconds=exc.seconds)
        # Being told to wait is not the message's fault: it does not use up an attempt.
        await outbox.retry_later(self.db, row.id, at, str(exc), refund_attempt=True)

    async def _transient(self, row: outbox.Claimed, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if row.attempts >= self.max_attempts:
            log.error("message %s failed after %s attempts: %s", row.id, row.attempts, error)
            await outbox.mark_failed(self.db, row.id, error)
            return
        at = utcnow() + timedelta(seconds=self.backoff(row.attempts))
        await outbox.retry_later(self.db, row.id, at, error)

    async def _unreachable(self, row: outbox.Claimed, error: str) -> None:
        await outbox.mark_failed(self.db, row.id, error)
        async with self.db.transaction() as s:
            await s.execute(
                update(Contact).where(Contact.id == row.contact_id).values(blocked_at=utcnow())
            )
