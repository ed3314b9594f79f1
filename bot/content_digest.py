"""A weekly note to the staff chat: what in the package is due for review, how many changes
wait for a second person, and how many questions went unanswered that week. Once per ISO week
(the access log keeps the record, so a restart or a second worker does not send it again),
on Monday morning local time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clock import Clock
from bot.i18n import N_, Translator
from bot.settings import Settings
from content.package import get_package
from content.render import is_stale
from storage import revisions
from storage.db import Database
from storage.models import AuditEntry, UnansweredQuestion

log = logging.getLogger(__name__)
Send = Callable[[str], Awaitable[None]]
DIGEST = N_(
    "Content this week: {pages} pages and {facts} facts are due for review; {waiting} changes "
    "wait for a second person; {unanswered} questions went unanswered. {link}"
)
SEND_FROM_HOUR = 9  # Monday, local time


class ContentDigest:
    every = 3600.0  # seconds between looks at the clock

    def __init__(self, db: Database, settings: Settings, send: Send, clock: Clock | None = None):
        self.db, self.settings, self.send, self.clock = db, settings, send, clock or Clock()

    def due(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.settings.timezone))
        return local.weekday() == 0 and local.hour >= SEND_FROM_HOUR

    async def run_once(self) -> bool:
        now = self.clock.now()
        if not self.due(now):
            return False
        week = "content_digest " + now.strftime("%G-W%V")
        async with self.db.transaction() as s:
            if await s.scalar(select(AuditEntry.id).where(AuditEntry.detail == week).limit(1)):
                return False
            s.add(AuditEntry(staff_login="qonys", action="content_digest", detail=week))
            text = await self.text(s, now)
        try:
            await self.send(text)
        except Exception:  # a courtesy: the dashboard shows the same
            log.exception("could not send the content digest")
        return True

    async def text(self, s, now: datetime) -> str:  # type: ignore[no-untyped-def]
        lib, today = get_package().lib, now.date()
        pages = sum(is_stale(e.reviewed, today) for e in lib.entries.values())
        facts = sum(1 for f in lib.facts.values() if f.review_by and f.review_by < today)
        since = now - timedelta(days=7)
        unanswered = await s.scalar(select(func.count()).select_from(UnansweredQuestion).where(
            UnansweredQuestion.created_at >= since))  # fmt: skip
        link = (
            f"{self.settings.public_url}/console/content/stale" if self.settings.public_url else ""
        )
        return Translator(self.settings.default_locale).gettext(
            DIGEST, pages=pages, facts=facts, waiting=len(await revisions.in_review(s)),
            unanswered=unanswered or 0, link=link,
        ).strip()  # fmt: skip

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("content digest failed")
            await asyncio.sleep(self.every)
