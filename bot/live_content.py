"""This process answers from the newest published package: at start, and within seconds of
a publish in the console (a wake-up over the signals hub, across workers when there is Redis;
a poll every half minute in case a wake-up is lost). The new package is built in a thread
while questions are answered from the previous one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from content.overlay import materialise
from content.package import get_package, install
from content.procedures import get_procedures
from storage import revisions

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
SIGNAL = "content"


class LiveContent:
    poll = 30.0  # seconds between checks when no wake-up comes

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.loaded = -1  # the version being answered from
        self.ready = False  # the package and procedures are loaded: questions get answers
        self.error: str | None = None

    @property
    def folder(self) -> Path:
        return self.runtime.settings.data_dir / "content"

    async def load(self) -> int:
        """Install the newest published version unless it is already the one answering."""
        async with self.runtime.db.sessions() as s:
            version = await revisions.version(s)
            if version == self.loaded:
                return version
            docs = await revisions.published_docs(s) if version else {}
        if version == 0:
            await asyncio.to_thread(get_package)
        else:
            root = await asyncio.to_thread(materialise, docs, version, self.folder)
            await asyncio.to_thread(install, root)
            log.info("content version %s is live", version)
        self.loaded = version
        return version

    def published(self) -> None:
        """Called after a publish is committed: every worker loads it."""
        self.runtime.signals.publish(SIGNAL)

    async def run(self) -> None:
        """Load at start, then follow publishes for as long as the server runs. `ready` once
        questions can be answered; `error` while the first load keeps failing."""
        event = self.runtime.signals.subscribe(SIGNAL)
        try:
            while True:
                try:
                    await self.load()
                    if not self.ready:
                        await asyncio.to_thread(get_procedures)
                        self.ready = True
                    self.error = None
                except Exception as exc:  # keep answering from the current version; retry
                    self.error = f"{type(exc).__name__}: {exc}"[:200]
                    log.exception("could not load the published content")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), self.poll if self.ready else 5.0)
                event.clear()
        finally:
            self.runtime.signals.unsubscribe(SIGNAL, event)
