"""Per-channel sender: claims outbox rows, paces them, retries and records the outcome.

Pacing is a global rate for the channel and a small burst per chat, so a reply of two or
three messages arrives at once while sustained traffic to one chat stays near the limit
(Telegram: ~30 msg/s overall, ~1 msg/s per chat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import outbox
from bot.channels.base import Deferred, Deliverer, Permanent, RetryAfter, Transient, Unreachable
from bot.ratelimit import JITTER, Limit, Paced, SlidingWindow
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)
QUICK_RETRIES = 3
RECORD_RETRY = 0.5  # seconds between attempts to record a send while the database is away
RECORD_GRACE = 3.0  # after an outage, live senders record their sends before leases expire


class ChatLimiters:
    """A sliding window per chat (Telegram: about one message a second in one chat), forgotten
    once it has been idle a while."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._windows: dict[str, SlidingWindow] = {}

    def __call__(self, chat: str) -> Limit:
        if len(self._windows) > 10_000:
            self._windows = {k: w for k, w in self._windows.items() if not w.idle}
        window = self._windows.get(chat)
        if window is None:
            window = self._windows[chat] = SlidingWindow(self.rate, self.burst)
        return window


@dataclass
class Held:
    """The two send slots one message holds: the channel's and its chat's."""

    channel: Limit
    channel_slot: Any
    chat: Limit
    chat_slot: Any

    async def give_back(self) -> None:
        await self.channel.refund(self.channel_slot)
        await self.chat.refund(self.chat_slot)

    async def postpone(self, seconds: float) -> None:
        await self.channel.postpone(self.channel_slot, seconds)
        await self.chat.postpone(self.chat_slot, seconds)


class RoundTrips:
    """How much later than usual a send may have reached the platform: its answer took that
    much longer than the fastest recent one (a stalled network or server; with Telegram's
    strict count, sends that arrive bunched up are answered with 429 however they left)."""

    def __init__(self, keep: int = 64) -> None:
        self.recent: deque[float] = deque(maxlen=keep)

    def lateness(self, took: float) -> float:
        self.recent.append(took)
        late = took - min(self.recent)
        return late if late > JITTER / 2 else 0.0


class Sender:
    """Claims rows a little ahead into a priority queue and sends them at the channel's rate.

    The queue is ordered by priority, then age, and read only when a send slot is free, so a
    reply claimed a moment ago overtakes campaign rows claimed before it: people chatting
    during a campaign wait at most one slot (1/30 s on Telegram), not for the campaign.
    """

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
        limiter: Limit | None = None,
        chats: Callable[[str], Limit] | None = None,
    ) -> None:
        self.db, self.channel = db, channel
        # Scale-out passes limits kept in Redis, shared by every worker; alone, in-process.
        self.limiter = limiter or Paced(rate)
        self.chats = chats or ChatLimiters(per_chat_rate, per_chat_burst)
        self.max_attempts, self.lease, self.batch, self.idle_poll = (
            max_attempts,
            lease_seconds,
            batch,
            idle_poll,
        )
        # Claimed but not yet sent: about two seconds of work, far inside the lease.
        self.ahead = max(batch, min(int(rate * 2), 500))
        self.backoff = backoff
        self.wake = asyncio.Event()
        self.queue: asyncio.PriorityQueue[tuple[int, int, outbox.Claimed]] = asyncio.PriorityQueue()
        self._tasks: set[asyncio.Task] = set()
        self._loops: list[asyncio.Task] = []
        self.round_trips = RoundTrips()

    def notify(self) -> None:
        self.wake.set()

    def start(self) -> None:
        name = self.channel.name
        self._loops = [
            asyncio.create_task(self._feed(), name=f"sender-feed-{name}"),
            asyncio.create_task(self._dispatch_forever(), name=f"sender-{name}"),
        ]

    async def stop(self) -> None:
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._loops, *self._tasks, return_exceptions=True)

    async def _feed(self) -> None:
        released, reachable_since = 0.0, time.monotonic() - RECORD_GRACE
        while True:
            # Cleared before looking for work: a notify that arrives while we look is kept.
            self.wake.clear()
            try:
                claimed = await self._claim()
                # Rows of a sender that died (here or in another worker) come back after
                # their lease, busy or not; but not in the first seconds after an outage,
                # while live senders are still recording what they sent meanwhile.
                now = time.monotonic()
                if now - released > self.lease / 2 and now - reachable_since >= RECORD_GRACE:
                    await outbox.release_stale(self.db, self.lease)
                    released = now
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup must not kill the sender
                log.warning("sender %s: claim failed: %s", self.channel.name, exc)
                reachable_since = time.monotonic() + 1.0  # counted from after the next sleep
                await asyncio.sleep(1.0)
                continue
            if claimed and self.queue.qsize() < self.ahead:
                continue
            await self._sleep(short=bool(claimed))

    async def _claim(self) -> int:
        room = self.ahead - self.queue.qsize()
        if room > 0:
            rows = await outbox.claim(self.db, self.channel.name, min(room, self.batch))
        else:  # full of campaign rows: still take replies, which sort before them
            rows = await outbox.claim(self.db, self.channel.name, 10, outbox.PRIORITY_REPLY)
        for row in rows:
            self.queue.put_nowait((row.priority, row.id, row))
        return len(rows)

    async def _sleep(self, short: bool) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), 0.2 if short else self.idle_poll)

    async def _dispatch_forever(self) -> None:
        while True:
            try:
                await self._dispatch_one()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis (the shared limit) away: the row waits queued
                log.warning("sender %s: no send slot: %s", self.channel.name, exc)
                await asyncio.sleep(1.0)

    async def _dispatch_one(self) -> None:
        """Wait for work and a free slot, then send the most urgent row queued at that moment."""
        self.queue.put_nowait(await self.queue.get())  # there is work; put it back to choose
        slot = await self.limiter.acquire()
        _, _, row = self.queue.get_nowait()
        task = asyncio.create_task(self._send(row, slot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run_once(self) -> int:
        """Claim one batch and settle it (tests drive the sender step by step with this)."""
        rows = await outbox.claim(self.db, self.channel.name, self.batch)
        for row in rows:
            self.queue.put_nowait((row.priority, row.id, row))
        for _ in rows:
            await self._dispatch_one()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return len(rows)

    async def _send(self, row: outbox.Claimed, slot: object) -> None:
        try:
            chat = self.chats(str(row.contact_id))  # an id, not a phone number, in Redis keys
            chat_slot = await chat.acquire()
            if not await outbox.dispatch(self.db, row):
                await self.limiter.refund(slot)
                return  # claimed again by someone else after our lease ran out
            # The slot was reserved when the row was picked; it is counted from now, when the
            # request really leaves, or a slow database write would bunch sends together.
            held = Held(self.limiter, await self.limiter.restamp(slot), chat, chat_slot)
            if not await self._deliver(row, held):
                # An error page is not a message: the platform did not count it, nor do we.
                await held.give_back()
        except asyncio.CancelledError:
            raise
        except Exception:  # the row's lease brings it back
            log.exception("sender %s: message %s", self.channel.name, row.id)

    async def _deliver(self, row: outbox.Claimed, held: Held) -> bool:
        """Send and record the outcome; False when the platform answered with an error page."""
        began = time.monotonic()
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
        except Transient as exc:
            await self._transient(row, exc)
            return False
        except (TimeoutError, OSError) as exc:
            await self._transient(row, exc)  # it may have arrived: its slots stay taken
        else:
            if late := self.round_trips.lateness(time.monotonic() - began):
                await held.postpone(late)
            await self._record_sent(row, external_id)
        return True

    async def _record_sent(self, row: outbox.Claimed, external_id: str | None) -> None:
        """The message arrived: keep trying to write that down while the database is away,
        or the row comes back after its lease and the person gets it twice. Stale leases
        are only returned once the database has been back for RECORD_GRACE (see _feed)."""
        while True:
            try:
                await outbox.mark_sent(self.db, row.id, external_id)
                return
            except (SQLAlchemyError, OSError) as exc:
                log.warning("message %s sent, not yet recorded: %s", row.id, exc)
                await asyncio.sleep(RECORD_RETRY)

    async def _retry_after(self, row: outbox.Claimed, exc: RetryAfter) -> None:
        if exc.whole_channel:
            await self.limiter.pause(exc.seconds)
        at = utcnow() + timedelta(seconds=exc.seconds)
        # Being told to wait is not the message's fault: it does not use up an attempt.
        await outbox.retry_later(self.db, row.id, at, str(exc), refund_attempt=True)

    async def _transient(self, row: outbox.Claimed, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if row.attempts >= self.max_attempts:
            log.error("message %s failed after %s attempts: %s", row.id, row.attempts, error)
            await outbox.mark_failed(self.db, row.id, error)
            return
        # A lone 5xx page is usually a blip: the first retry comes within a tenth of a second
        # (a reply's first three, someone is waiting); after that it is an outage, and it
        # waits like everything else. The rate limit paces retries like any other send.
        quick = row.attempts <= (QUICK_RETRIES if row.priority <= outbox.PRIORITY_REPLY else 1)
        scale = 0.05 if quick else 1.0
        delay = scale * self.backoff(row.attempts)
        await outbox.retry_later(self.db, row.id, utcnow() + timedelta(seconds=delay), error)
        asyncio.get_running_loop().call_later(delay, self.notify)  # look again when it is due

    async def _unreachable(self, row: outbox.Claimed, error: str) -> None:
        await outbox.mark_unreachable(self.db, row.id, row.contact_id, error)
