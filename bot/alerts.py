"""A message to the staff's Telegram chat when a person has waited too long for a caseworker
(CONSOLE_ALERT_MINUTES, off by default). It names the region, topic and a console link, never
the person. Each case is claimed once by a conditional UPDATE, so several workers alert once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import Clock
from bot.i18n import N_, Translator
from bot.settings import Settings
from storage.db import Database
from storage.models import Case

log = logging.getLogger(__name__)
Send = Callable[[str], Awaitable[None]]
WAITING_LONG = N_("Qonys: a person has waited more than {minutes} min for a caseworker.")


class WaitAlerts:
    def __init__(self, db: Database, settings: Settings, send: Send, clock: Clock | None = None):
        self.db, self.settings, self.send, self.clock = db, settings, send, clock or Clock()

    async def run_once(self) -> int:
        minutes = self.settings.console_alert_minutes
        now = self.clock.now()
        async with self.db.transaction() as s:
            due = list(
                await s.scalars(
                    select(Case).where(
                        Case.status == "waiting",
                        Case.alerted_at.is_(None),
                        Case.created_at <= now - timedelta(minutes=minutes),
                    )
                )
            )
            claimed = []
            for case in due:
                won = await s.execute(
                    update(Case)
                    .where(Case.id == case.id, Case.alerted_at.is_(None))
                    .values(alerted_at=now)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(case)
        for case in claimed:
            try:
                await self.send(self._text(case))
            except Exception:  # an alert is a courtesy: log it, the queue still shows the case
                log.exception("could not send the waiting alert for case %s", case.id)
        return len(claimed)

    def _text(self, case: Case) -> str:
        from handlers.handoff import TOPIC_LABELS, region_names

        t = Translator(self.settings.default_locale)
        region = region_names(t.locale).get(case.region or "", "—")
        topic = t.gettext(TOPIC_LABELS.get(case.topic, case.topic))
        link = f"{(self.settings.public_url or '').rstrip('/')}/console/cases/{case.id}"
        head = t.gettext(WAITING_LONG, minutes=self.settings.console_alert_minutes)
        return f"{head}\n{region} · {topic}\n{link}"

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("waiting alerts failed")
            await asyncio.sleep(self.settings.scheduler_interval_seconds)
