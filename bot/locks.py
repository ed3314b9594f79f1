"""Per-contact serialisation: one update of a person is handled at a time, in order."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockError


class Locks(Protocol):
    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalLocks:
    """asyncio locks by key for the single-process mode; entries vanish when unused."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class RedisLocks:
    """The same, across workers: a Redis lock per key (redis-py's, token-checked on release).

    The lock expires after `timeout` seconds, so a worker killed while holding it delays that
    one person at most that long; everyone else goes on."""

    def __init__(self, redis: Redis, secret: str, timeout: float = 30.0) -> None:
        self.redis, self.timeout = redis, timeout
        self.secret = secret.encode()[:64]

    def _name(self, key: str) -> str:
        # Keys hold phone numbers (WhatsApp ids): Redis sees only a keyed hash of them.
        digest = hashlib.blake2b(key.encode(), key=self.secret, digest_size=16).hexdigest()
        return f"qonys:lock:{digest}"

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        # A short poll: the lock is held for one update's handling, a few milliseconds.
        lock = self.redis.lock(self._name(key), timeout=self.timeout, sleep=0.005)
        await lock.acquire()
        try:
            yield
        finally:
            with contextlib.suppress(LockError):  # expired meanwhile: nothing left to release
                await lock.release()
