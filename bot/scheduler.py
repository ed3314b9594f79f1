"""Scheduled messages: visit reminders (the day before, two hours before) and a nudge on a
checklist that has not moved for CHECKLIST_REMINDER_DAYS, for people who asked for it.

Each reminder is claimed by a conditional UPDATE of its "reminded" column in the transaction
that writes the message, so two workers (or a restart) never send it twice. Time comes from a
Clock, so tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, in_span
from bot.i18n import N_
from bot.outbox import PRIORITY_BULK, PRIORITY_REPLY, enqueue
from bot.settings import Settings
from bot.types import Button, Reply
from storage.db import Database
from storage.models import ChecklistProgress, Contact, Office, Slot

log = logging.getLogger(__name__)
DAY_BEFORE, SOON = timedelta(hours=24), timedelta(hours=2)
CANCEL_VISIT = N_("Cancel the visit")
STILL_MISSING = N_("What is still missing")
STOP_REMINDERS = N_("Stop these reminders")
ANSWERED = N_("You asked: «{question}». I have an answer now: {title}.")
STALLED = N_('Your documents list "{title}" has not changed for a while. What is still missing?')


class Scheduler:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock | None = None, on_outbox=None
    ) -> None:  # type: ignore[no-untyped-def]
        self.db, self.settings, self.clock = db, settings, clock or Clock()
        self.on_outbox = on_outbox or (lambda channel: None)
        self.zone = ZoneInfo(settings.timezone)

    async def run_once(self) -> int:
        """Everything due now; returns how many messages were written."""
        now = self.clock.now()
        sent = await self.visit_reminders(now, soon=False)
        sent += await self.visit_reminders(now, soon=True)
        if not self.quiet(now):
            sent += await self.checklist_reminders(now)
            sent += await self.answer_notices(now)
        return sent

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the next round tries again
                log.exception("scheduled job failed")
            await asyncio.sleep(self.settings.scheduler_interval_seconds)

    def quiet(self, now: datetime) -> bool:
        return in_span(self.settings.quiet_hours, now.astimezone(self.zone).time())

    async def visit_reminders(self, now: datetime, *, soon: bool) -> int:
        from handlers.appointment import reminder_text

        column = Slot.reminded_soon_at if soon else Slot.reminded_day_at
        lead = SOON if soon else DAY_BEFORE
        async with self.db.transaction() as s:
            due = list(
                await s.scalars(
                    select(Slot).where(
                        Slot.contact_id.is_not(None),
                        column.is_(None),
                        Slot.starts_at > now,
                        Slot.starts_at <= now + lead,
                    )
                )
            )
            count = 0
            for slot in due:
                claimed = await s.execute(
                    update(Slot)
                    .where(Slot.id == slot.id, column.is_(None), Slot.contact_id == slot.contact_id)
                    .values({column.key: now})
                    .execution_options(synchronize_session=False)
                )
                contact = await s.get(Contact, slot.contact_id)
                if claimed.rowcount != 1 or contact is None:
                    continue
                if slot.booked_at and slot.booked_at >= slot.starts_at - lead:
                    continue  # booked inside the lead time: the confirmation is fresh enough
                office = await s.get(Office, slot.office_id)
                text = reminder_text(self._lang(contact), slot, office, self.zone, soon)
                buttons = [Button(_t(contact, self, CANCEL_VISIT), "ax")]
                self._write(s, contact, Reply(text=text, buttons=buttons), PRIORITY_REPLY)
                count += 1
        return count

    async def checklist_reminders(self, now: datetime) -> int:
        from handlers.profile import KIND
        from storage.models import Consent

        stalled_since = now - timedelta(days=self.settings.checklist_reminder_days)
        async with self.db.transaction() as s:
            rows = list(
                await s.scalars(
                    select(ChecklistProgress).where(
                        ChecklistProgress.remind.is_(True),
                        ChecklistProgress.progressed_at <= stalled_since,
                    )
                )
            )
            count = 0
            for row in rows:
                if row.reminded_at and row.reminded_at >= row.progressed_at:
                    continue  # one nudge per stall: the next after the person moves on
                consent = await s.scalar(
                    select(Consent)
                    .where(Consent.contact_id == row.contact_id, Consent.kind == KIND)
                    .order_by(Consent.id.desc())
                    .limit(1)
                )
                contact = await s.get(Contact, row.contact_id)
                if not (consent and consent.granted) or contact is None or contact.blocked_at:
                    continue
                claimed = await s.execute(
                    update(ChecklistProgress)
                    .where(
                        ChecklistProgress.contact_id == row.contact_id,
                        ChecklistProgress.checklist == row.checklist,
                        ChecklistProgress.reminded_at.is_not_distinct_from(row.reminded_at),
                    )
                    .values(reminded_at=now)
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1:
                    continue
                self._write(s, contact, self._checklist_reply(contact, row), PRIORITY_BULK)
                count += 1
        return count

    async def answer_notices(self, now: datetime) -> int:
        """Once, to each person who asked to be told: their question now has an answer (a
        page an editor linked it to, once that change is published)."""
        from storage import revisions
        from storage.models import UnansweredQuestion

        async with self.db.transaction() as s:
            waiting = list(await s.scalars(select(UnansweredQuestion).where(
                UnansweredQuestion.notify.is_(True), UnansweredQuestion.answer.is_not(None),
                UnansweredQuestion.notified_at.is_(None),
                UnansweredQuestion.contact_id.is_not(None))))  # fmt: skip
            count = 0
            for q in waiting:
                head = await revisions.head(s, revisions.Doc(f"{q.answer}.{q.lang}.md"))
                if head is None or head.state != "published":
                    continue  # the page with its phrasing is still in review
                contact = await s.get(Contact, q.contact_id)
                claimed = await s.execute(
                    update(UnansweredQuestion)
                    .where(UnansweredQuestion.id == q.id, UnansweredQuestion.notified_at.is_(None))
                    .values(notified_at=now)
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1 or contact is None or contact.blocked_at:
                    continue
                self._write(s, contact, self._answer_reply(contact, q), PRIORITY_BULK)
                count += 1
        return count

    def _answer_reply(self, contact: Contact, q) -> Reply:  # type: ignore[no-untyped-def]
        """The question, the page's title, and the page's own button (its short label)."""
        from content.package import get_package

        lang = self._lang(contact)
        lib, (folder, topic) = get_package().lib, q.answer.split("/")[-2:]
        region = None if folder == "programme" else folder
        entry = lib.entries.get((f"{region or 'programme'}/{topic}", lang))
        found = lib.topic(topic, region)
        label = found.label[lang] if found else topic
        return Reply(
            text=_t(
                contact,
                self,
                ANSWERED,
                question=q.text[:300],
                title=entry.title if entry else label,
            ),
            buttons=[
                Button(label, f"t:{region}:{topic}" if region else f"p:{topic}"),
                Button(_t(contact, self, "Menu"), "menu"),
            ],
        )

    def _checklist_reply(self, contact: Contact, row: ChecklistProgress) -> Reply:
        from content.procedures import get_procedures

        lang = self._lang(contact)
        checklist = get_procedures().checklists.get(row.checklist)
        title = checklist.title.text(lang) if checklist else row.checklist
        text = _t(contact, self, STALLED, title=title)
        buttons = [
            Button(_t(contact, self, STILL_MISSING), f"cm:{row.checklist}"),
            Button(_t(contact, self, STOP_REMINDERS), f"cr:{row.checklist}:off"),
        ]
        return Reply(text=text, buttons=buttons)

    def _lang(self, contact: Contact) -> str:
        return contact.locale or contact.locale_hint or self.settings.default_locale

    def _write(self, s: AsyncSession, contact: Contact, reply: Reply, priority: int) -> None:
        enqueue(s, contact, reply, priority)
        self.on_outbox(contact.channel)


def _t(contact: Contact, scheduler: Scheduler, message: str, **params: object) -> str:
    from bot.i18n import Translator

    return Translator(scheduler._lang(contact)).gettext(message, **params)
