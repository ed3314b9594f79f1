"""Campaigns on their way out: each person's copy composed, written to the outbox in chunks.

The runner writes recipients only a little ahead of the senders (CAMPAIGN_AHEAD rows), so a
pause holds few rows, quiet hours stop a long campaign in the evening, and a person who opts
out before their turn is never written at all. Each chunk is one transaction: the deliveries
(unique per campaign and person), their outbox rows at bulk priority and the cursor move
together, so a crash repeats nothing and skips no one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, in_span
from bot.i18n import N_, Translator
from bot.outbox import PRIORITY_BULK, new_rows
from bot.settings import LOCALES, Settings
from bot.types import Button, Media, Reply
from storage import campaigns as store
from storage.db import Database
from storage.models import Campaign, Contact, Delivery, Message, utcnow
from storage.segments import count, members

log = logging.getLogger(__name__)

STOP_HINT = N_("To stop these messages, send STOP.")
CASEWORKER = N_("Talk to a caseworker")
SUBSCRIPTIONS = N_("My subscriptions")
CHUNK = 200  # rows per transaction: short enough not to hold up people chatting


def language_of(texts: dict[str, str], locale: str) -> str:
    """The person's language if the campaign has it, else Kazakh, Russian, English."""
    for lang in (locale, *LOCALES):
        if (texts.get(lang) or "").strip():
            return lang
    return locale


def button_choices(lang: str) -> list[tuple[str, str]]:
    """What a campaign's buttons may do: open a programme topic, or ask for a caseworker."""
    from content.package import get_package

    topics = sorted(get_package().lib.topics["programme"].values(), key=lambda t: t.order)
    choices = [(f"p:{t.id}", t.label[lang]) for t in topics if t.id != "caseworker"]
    tr = Translator(lang)
    return [*choices, ("hf", tr.gettext(CASEWORKER)), ("subs", tr.gettext(SUBSCRIPTIONS))]


def compose(campaign: Campaign, locale: str, data_dir: str) -> tuple[str, Reply]:
    """One person's copy: their language, the buttons (counted when pressed), how to stop."""
    lang = language_of(campaign.texts, locale)
    tr = Translator(lang)
    labels = dict(button_choices(lang))
    buttons = [
        Button(labels[action], f"nw:{campaign.id}:{action}")
        for action in campaign.buttons
        if action in labels
    ]
    text = f"{campaign.texts.get(lang, '').strip()}\n\n{tr.gettext(STOP_HINT)}"
    media = Media("image", path=f"{data_dir}/{campaign.image}") if campaign.image else None
    return lang, Reply(text=text, buttons=buttons, media=media)


class CampaignRunner:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock | None = None,
        on_outbox: Callable[[str], None] | None = None,
    ) -> None:
        self.db, self.settings, self.clock = db, settings, clock or Clock()
        self.on_outbox = on_outbox or (lambda channel: None)
        self.zone = ZoneInfo(settings.timezone)
        self.wake = asyncio.Event()

    def quiet(self, now: datetime) -> bool:
        return in_span(self.settings.quiet_hours, now.astimezone(self.zone).time())

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the next round tries again
                log.exception("campaign round failed")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.campaign_tick_seconds)

    async def run_once(self) -> int:
        """Start what is due, write the next recipients, finish what is sent. Rows written."""
        now = self.clock.now()
        if self.quiet(now):
            return 0  # rows already queued still go; nothing new is written until morning
        await self._start_due(now)
        written = 0
        async with self.db.sessions() as s:
            running = list(await s.scalars(select(Campaign.id).where(Campaign.status == "running")))
        for campaign_id in running:
            written += await self._feed(campaign_id, now)
        return written

    async def _start_due(self, now: datetime) -> None:
        async with self.db.transaction() as s:
            due = list(
                await s.scalars(
                    select(Campaign).where(
                        Campaign.status == "scheduled", Campaign.starts_at <= now
                    )
                )
            )
            for campaign in due:
                query = members(campaign.filters, self.settings.default_locale, campaign.topic)
                planned = await count(s, query)
                await store.set_status(
                    s, campaign.id, ("scheduled",), "running", started_at=now, planned=planned
                )

    async def _feed(self, campaign_id: int, now: datetime) -> int:
        try:
            async with self.db.transaction() as s:
                campaign = await s.scalar(
                    select(Campaign)
                    .where(Campaign.id == campaign_id, Campaign.status == "running")
                    .with_for_update()
                )
                if campaign is None:
                    return 0
                queued = await store.backlog(s, campaign_id)
                if campaign.written_all:
                    if queued == 0:
                        await store.set_status(
                            s, campaign_id, ("running",), "done", finished_at=now
                        )
                    return 0
                room = min(CHUNK, self.settings.campaign_ahead - queued)
                return await self._write(s, campaign, room, now) if room > 0 else 0
        except IntegrityError:  # another worker wrote this chunk first: read again next round
            log.info("campaign %s: chunk already written elsewhere", campaign_id)
            return 0

    async def _write(self, s: AsyncSession, campaign: Campaign, limit: int, now: datetime) -> int:
        query = members(campaign.filters, self.settings.default_locale, campaign.topic)
        ids = list(
            await s.scalars(
                query.where(Contact.id > campaign.cursor).order_by(Contact.id).limit(limit)
            )
        )
        contacts = list(await s.scalars(select(Contact).where(Contact.id.in_(ids))))
        deliveries: list[tuple[Delivery, Message | None]] = []
        for contact in sorted(contacts, key=lambda c: c.id):
            rows = self._rows(campaign, contact, now)
            s.add_all(rows)
            status = "queued" if rows else "skipped"
            delivery = Delivery(campaign_id=campaign.id, contact_id=contact.id,
                                channel=contact.channel, status=status)  # fmt: skip
            deliveries.append((delivery, rows[-1] if rows else None))
        await s.flush()  # the outbox rows get their ids
        for delivery, last in deliveries:
            delivery.message_id = last.id if last else None
            s.add(delivery)
        if ids:
            campaign.cursor = ids[-1]
        campaign.written_all = len(ids) < limit
        for channel in {c.channel for c in contacts}:
            self.on_outbox(channel)
        return sum(1 for d, last in deliveries if last)

    def _rows(self, campaign: Campaign, contact: Contact, now: datetime) -> list[Message]:
        from bot.runtime import CAPS

        locale = contact.locale or contact.locale_hint or self.settings.default_locale
        lang, reply = compose(campaign, locale, str(self.settings.data_dir))
        if contact.channel == "whatsapp" and now - contact.last_seen_at > store.WINDOW:
            if not campaign.wa_template:
                return []  # outside the 24-hour window WhatsApp takes only a template
            rows = [_template_row(contact, campaign, lang, reply.text)]
        else:
            rows = new_rows(contact, reply, CAPS[contact.channel].max_text, PRIORITY_BULK)
        for row in rows:
            row.campaign_id = campaign.id
        return rows


def _template_row(contact: Contact, campaign: Campaign, lang: str, text: str) -> Message:
    return Message(
        contact_id=contact.id,
        channel=contact.channel,
        direction="out",
        kind="template",
        text=text,  # what the transcript shows; the platform sends the approved template
        payload={"template": campaign.wa_template, "lang": lang, "buttons": []},
        status="pending",
        priority=PRIORITY_BULK,
        attempts=0,
        next_attempt_at=utcnow(),
    )


async def opt_out_everywhere(s: AsyncSession, contact_id: int) -> int:
    """Cancel a person's unsent campaign messages and mark their recent deliveries."""
    return await store.opt_out(s, contact_id, utcnow(), timedelta(days=14))
