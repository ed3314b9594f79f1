"""Wake-ups: a web-chat page per visitor, the open consoles.

The stream reads the messages themselves from the database, so a lost wake-up costs at most
one poll interval and a reconnecting page resumes from its Last-Event-ID. With several
workers a wake-up also goes out over Redis pub/sub, for pages connected to another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import defaultdict

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, key: str) -> asyncio.Event:
        event = asyncio.Event()
        self._subscribers[key].add(event)
        return event

    def unsubscribe(self, key: str, event: asyncio.Event) -> None:
        subs = self._subscribers.get(key)
        if subs is not None:
            subs.discard(event)
            if not subs:
                del self._subscribers[key]

    def publish(self, key: str) -> None:
        self._wake(key)

    def _wake(self, key: str) -> None:
        for event in self._subscribers.get(key, ()):
            event.set()

    def __len__(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


class RedisHub(Hub):
    """A Hub whose wake-ups reach every worker. Keys travel as keyed hashes (a web visitor's
    key is their credential), tagged with the sending worker, which has woken its own pages."""

    def __init__(self, redis: Redis, channel: str, secret: str) -> None:
        super().__init__()
        self.redis, self.channel, self.secret = redis, channel, secret.encode()[:64]
        self.origin = uuid.uuid4().hex[:12]
        self._pending: set[asyncio.Task] = set()
        self._listener: asyncio.Task | None = None
        self._keys: dict[str, str] = {}  # digest -> key, for the keys someone here listens to

    def subscribe(self, key: str) -> asyncio.Event:
        self._keys[self._digest(key)] = key
        return super().subscribe(key)

    def unsubscribe(self, key: str, event: asyncio.Event) -> None:
        super().unsubscribe(key, event)
        if key not in self._subscribers:
            self._keys.pop(self._digest(key), None)

    def _digest(self, key: str) -> str:
        return hashlib.blake2b(key.encode(), key=self.secret, digest_size=16).hexdigest()

    def publish(self, key: str) -> None:
        self._wake(key)
        task = asyncio.get_running_loop().create_task(self._send(self._digest(key)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, digest: str) -> None:
        try:
            await self.redis.publish(self.channel, f"{self.origin} {digest}")
        except Exception as exc:  # pages on other workers poll; nothing is lost
            log.warning("hub %s: publish failed: %s", self.channel, exc)

    def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name=f"hub-{self.channel}")

    async def stop(self) -> None:
        for task in [self._listener, *self._pending]:
            if task:
                task.cancel()
        await asyncio.gather(*[t for t in [self._listener, *self._pending] if t],
                             return_exceptions=True)  # fmt: skip

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted: resubscribe; pages poll meanwhile
                log.warning("hub %s: %s; resubscribing", self.channel, exc)
                await asyncio.sleep(1.0)

    def _deliver(self, message: dict) -> None:
        if message.get("type") != "message":
            return
        with contextlib.suppress(ValueError, AttributeError):
            origin, digest = message["data"].decode().split(" ", 1)
            if origin != self.origin and (key := self._keys.get(digest)):
                self._wake(key)
