"""Background jobs that must run in one place: reminders, purges, campaigns, polling.

Alone, a worker runs them all. With several workers each job has a lease in Redis (SET NX
PX, renewed by its holder): one worker runs the job while it renews; if that worker dies, the
lease lapses and another takes the job over within `ttl` seconds. The jobs themselves also
claim their work with conditional updates, so even an overlap at a hand-over sends nothing
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[None]]

# Renew only while we still hold it; release only our own.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LocalJobs:
    """One process: every job runs here."""

    async def run(self, name: str, job: Job) -> None:
        await job()


class RedisJobs:
    def __init__(self, redis: Redis, ttl: float = 15.0) -> None:
        self.redis, self.ttl = redis, ttl
        self.me = uuid.uuid4().hex
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def run(self, name: str, job: Job) -> None:
        """Run `job` whenever this worker holds its lease; forever."""
        key = f"qonys:job:{name}"
        while True:
            try:
                if await self.redis.set(key, self.me, nx=True, px=int(self.ttl * 1000)):
                    log.info("job %s runs on this worker", name)
                    await self._lead(key, job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: nobody can be sure to lead, so nobody does
                log.warning("job %s: %s", name, exc)
            await asyncio.sleep(self.ttl / 3)

    async def _lead(self, key: str, job: Job) -> None:
        task = asyncio.create_task(job())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.ttl / 3)
                if done:
                    task.result()  # a job that ends has failed: raise, and try again later
                    return
                renewed = await self._renew(keys=[key], args=[self.me, int(self.ttl * 1000)])
                if not renewed:
                    log.warning("lost the lease of %s", key)
                    return
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._release(keys=[key], args=[self.me])
