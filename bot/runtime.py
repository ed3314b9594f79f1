"""Builds the parts of a running Qonys from settings: database, core, channels, senders."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from redis.asyncio import Redis

from bot import outbox
from bot.channels.base import Caps, Deliverer
from bot.core import Core
from bot.hub import Hub, RedisHub
from bot.leader import LocalJobs, RedisJobs
from bot.locks import LocalLocks, RedisLocks
from bot.ratelimit import RedisWindows
from bot.senders import Sender
from bot.settings import Settings
from handlers import build_dispatcher
from storage.db import Database, ensure_sqlite_dir, upgrade

log = logging.getLogger(__name__)

CAPS = {
    "telegram": Caps(max_text=4096, html=True),
    "web": Caps(max_text=8000, html=True),
    "whatsapp": Caps(max_text=4096),
    "terminal": Caps(max_text=100_000),
}


# Drivers that log every statement with its parameters, names and phone numbers included.
# They stay quiet even when someone turns on DEBUG: personal data never goes to the logs.
PARAMETER_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "asyncpg", "pywa", "pywa_async", "httpx")


def quiet_parameter_loggers() -> None:
    for name in PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        quiet_parameter_loggers()
        self.settings = settings
        ensure_sqlite_dir(settings.database_url)
        self.db = Database(settings.database_url)
        self.senders: dict[str, Sender] = {}
        # Scale-out: what one process keeps in memory, several keep in Redis.
        self.redis = (
            Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
            if settings.redis_url
            else None
        )
        self.hubs: list[RedisHub] = []
        # Pub/sub waits for messages indefinitely: its own client, without a read timeout,
        # pinging now and then to notice a dead connection.
        self.pubsub_redis = (
            Redis.from_url(settings.redis_url, socket_connect_timeout=2, health_check_interval=10)
            if settings.redis_url
            else None
        )
        self.signals = self.hub("signals")  # "console": a case changed; "content": a publish
        self.jobs = RedisJobs(self.redis) if self.redis else LocalJobs()
        from bot.live_content import LiveContent

        self.content = LiveContent(self)  # the published package this process answers from
        locks = RedisLocks(self.redis, settings.secret_key) if self.redis else LocalLocks()
        self.core = Core(
            settings,
            self.db,
            build_dispatcher(),
            CAPS,
            locks=locks,
            on_outbox=self._wake,
            on_signal=self.signals.publish,
        )

    def hub(self, name: str) -> Hub:
        """Wake-ups for pages and consoles; across workers when there is Redis."""
        if not self.redis:
            return Hub()
        hub = RedisHub(self.pubsub_redis, f"qonys:hub:{name}", self.settings.secret_key)  # type: ignore[arg-type]
        self.hubs.append(hub)
        return hub

    def start(self) -> None:
        for hub in self.hubs:
            hub.start()

    def _wake(self, channel: str, _contact_id: int) -> None:
        if sender := self.senders.get(channel):
            sender.notify()

    def wake(self, channel: str) -> None:
        """A message was queued outside a conversation turn (a caseworker's reply)."""
        self._wake(channel, 0)

    def add_sender(
        self,
        deliverer: Deliverer,
        rate: float = 1000.0,
        per_chat_rate: float = 1000.0,
        per_chat_burst: int = 1000,
    ) -> Sender:
        s, shared = self.settings, {}
        if self.redis:  # N workers together stay under the platform's limits
            redis, name = self.redis, deliverer.name
            shared = {
                "limiter": RedisWindows.paced(redis, f"qonys:rate:{name}", rate),
                "chats": lambda chat: RedisWindows.window(
                    redis, f"qonys:rate:{name}:chat:{chat}", per_chat_rate, per_chat_burst
                ),
            }
        sender = Sender(
            self.db,
            deliverer,
            rate=rate,
            per_chat_rate=per_chat_rate,
            per_chat_burst=per_chat_burst,
            max_attempts=s.outbox_max_attempts,
            lease_seconds=s.outbox_lease_seconds,
            backoff=partial(outbox.backoff, cap=s.outbox_retry_cap_seconds),
            **shared,  # type: ignore[arg-type]
        )
        self.senders[deliverer.name] = sender
        return sender

    async def migrate(self) -> None:
        await asyncio.to_thread(upgrade, self.settings.database_url)

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.stop()
        for hub in self.hubs:
            await hub.stop()
        for client in (self.redis, self.pubsub_redis):
            if client:
                await client.aclose()
        await self.db.dispose()
