"""Builds the parts of a running Qonys from settings: database, core, channels, senders."""

from __future__ import annotations

import asyncio
import logging

from bot.channels.base import Caps, Deliverer
from bot.core import Core
from bot.hub import Hub
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
        self.signals = Hub()  # "console": a case or a message of a case changed
        self.core = Core(
            settings,
            self.db,
            build_dispatcher(),
            CAPS,
            on_outbox=self._wake,
            on_signal=self.signals.publish,
        )

    def _wake(self, channel: str, _contact_id: int) -> None:
        if sender := self.senders.get(channel):
            sender.notify()

    def wake(self, channel: str) -> None:
        """A message was queued outside a conversation turn (a caseworker's reply)."""
        self._wake(channel, 0)

    def add_sender(self, deliverer: Deliverer, **pacing: float) -> Sender:
        s = self.settings
        sender = Sender(
            self.db,
            deliverer,
            max_attempts=s.outbox_max_attempts,
            lease_seconds=s.outbox_lease_seconds,
            **pacing,  # type: ignore[arg-type]
        )
        self.senders[deliverer.name] = sender
        return sender

    async def migrate(self) -> None:
        await asyncio.to_thread(upgrade, self.settings.database_url)

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.stop()
        await self.db.dispose()
