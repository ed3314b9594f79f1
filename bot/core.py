"""The conversation core: one incoming event in, transcript and outbox rows out.

Every event of a person is handled under that person's lock, in one transaction: the update
id is recorded (so a re-delivery is ignored), the contact's state changes, the inbound and
outbound messages are written. Senders are woken after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import iin as iins
from bot.channels.base import Caps
from bot.context import CONFIRM, ERASED, Context
from bot.dispatcher import Dispatcher
from bot.i18n import match_locale
from bot.locks import LocalLocks, Locks
from bot.outbox import PRIORITY_REPLY, for_reader, new_rows, promote
from bot.settings import Settings
from bot.textsplit import clean_text
from bot.types import Incoming
from content.normalise import normalise
from content.package import package_pinned
from storage.db import Database, unavailable
from storage.models import Contact, Message, ProcessedUpdate, utcnow

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    handled: bool
    contact_id: int | None = None


class Core:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        dispatcher: Dispatcher,
        caps: dict[str, Caps],
        locks: Locks | None = None,
        on_outbox: Callable[[str, int], None] | None = None,
        on_signal: Callable[[str], None] | None = None,
    ) -> None:
        self.settings, self.db, self.dispatcher, self.caps = settings, db, dispatcher, caps
        self.locks = locks or LocalLocks()
        self.on_outbox = on_outbox or (lambda channel, contact_id: None)
        self.on_signal = on_signal or (lambda signal: None)

    async def handle(self, inc: Incoming) -> Outcome:
        """Handle one event; `handled` is False for a re-delivered update."""
        self._sanitise(inc)
        with package_pinned():  # one update, one version of the package, across a publish
            return await self._handle_held(inc)

    async def _handle_held(self, inc: Incoming) -> Outcome:
        async with self.locks.hold(f"{inc.channel}:{inc.user_id}"):
            try:
                contact_id, signals = await self._handle_once(inc, crashed=False)
            except _Duplicate:
                return Outcome(handled=False)
            except Exception as exc:
                if unavailable(exc):
                    raise  # nothing was stored: the update is refused and comes again
                log.exception("handler failed on %s update %s", inc.channel, inc.update_id)
                contact_id, signals = await self._handle_once(inc, crashed=True)
        self.on_outbox(inc.channel, contact_id)
        if ERASED in signals:
            try:
                await self.db.after_erasure()
            except Exception:  # the erasure itself is committed; the next one checkpoints
                log.exception("could not checkpoint the database after an erasure")
        for signal in signals - {ERASED}:
            self.on_signal(signal)
        return Outcome(handled=True, contact_id=contact_id)

    def _sanitise(self, inc: Incoming) -> None:
        # Names and button data come from the platform as freely as texts do (PostgreSQL
        # refuses NUL in any of them).
        if inc.display_name:
            inc.display_name = clean_text(inc.display_name).strip()[:128] or None
        if inc.action:
            inc.action = clean_text(inc.action)
        if inc.text is None:
            return
        inc.text = clean_text(inc.text).strip()
        if len(inc.text) > self.settings.max_message_chars:
            inc.kind, inc.text = "too_long", inc.text[: self.settings.max_message_chars]
        # An IIN is never stored, logged or shown, wherever in a conversation it is typed.
        inc.raw_text, inc.text = inc.text, iins.mask(inc.text)

    async def _handle_once(self, inc: Incoming, *, crashed: bool) -> tuple[int, set[str]]:
        try:
            async with self.db.transaction() as s:
                if inc.update_id and not await self._first_time(s, inc):
                    raise _Duplicate
                contact = await self._contact(s, inc)
                if inc.edited and await self._unchanged(s, contact, inc):
                    return contact.id, set()  # a re-worded nothing: the answer stands
                self._press_typed_button(inc, contact)
                fmt = "html" if self.caps[inc.channel].html else "plain"
                ctx = Context(
                    incoming=inc, contact=contact, session=s, settings=self.settings, fmt=fmt
                )
                ctx.offered = self._take_offer(contact)
                if crashed:
                    from handlers.fallback import apologise

                    await apologise(ctx)
                else:
                    await self.dispatcher.dispatch(ctx)
                await self._record(s, ctx)
                return ctx.contact.id, ctx.signals  # erasure replaces the contact with a blank one
        except IntegrityError as exc:
            if inc.update_id and "processed_updates" in str(exc):
                raise _Duplicate from exc  # another worker took the same update first
            raise

    async def _first_time(self, s: AsyncSession, inc: Incoming) -> bool:
        key = (inc.channel, inc.update_id)
        if await s.get(ProcessedUpdate, key):
            return False
        s.add(ProcessedUpdate(channel=inc.channel, update_id=inc.update_id))
        await s.flush()
        return True

    @staticmethod
    async def _unchanged(s: AsyncSession, contact: Contact, inc: Incoming) -> bool:
        """An edit that leaves the words as they were (a typo's case, a space) or edits a
        message the bot never had needs no second answer."""
        before = await s.scalar(
            select(Message.text)
            .where(
                Message.contact_id == contact.id,
                Message.direction == "in",
                Message.external_id == inc.message_id,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        return before is None or normalise(before) == normalise(inc.text or "")

    async def _contact(self, s: AsyncSession, inc: Incoming) -> Contact:
        contact = await s.scalar(
            select(Contact).where(
                Contact.channel == inc.channel, Contact.external_id == inc.user_id
            )
        )
        if contact is None:
            contact = Contact(channel=inc.channel, external_id=inc.user_id, step_data={})
            contact.last_buttons = []
            s.add(contact)
        contact.last_seen_at = utcnow()
        contact.blocked_at = None
        contact.locale_hint = match_locale(inc.locale_hint) or contact.locale_hint
        if inc.display_name:
            contact.display_name = inc.display_name[:128]
        if inc.phone:
            contact.phone = inc.phone[:20]
        await s.flush()
        return contact

    @staticmethod
    def _take_offer(contact: Contact) -> dict | None:  # type: ignore[type-arg]
        """A confirmation offered last turn is good for this turn only: whatever the person
        does now, it is gone afterwards unless a handler offers it again."""
        data = dict(contact.step_data or {})
        offer = data.pop(CONFIRM, None)
        if offer is not None:
            contact.step_data = data
        return offer if isinstance(offer, dict) else None

    @staticmethod
    def _press_typed_button(inc: Incoming, contact: Contact) -> None:
        """A typed number ("2") or label ("Русский") presses one of the last buttons."""
        buttons = contact.last_buttons or []
        if inc.kind == "action":  # remember what the pressed button said, for the transcript
            labels = [b["label"] for b in buttons if b["action"] == inc.action]
            inc.pressed_label = labels[0] if labels else None
            return
        if inc.kind != "text" or not inc.text or inc.command:
            return
        typed = inc.text.strip().casefold()
        # When a number itself is the answer (how many children?), digits are not button numbers.
        numbers = not (contact.step_data or {}).get("typed")
        # A label typed in full wins over a position: on buttons "0".."8", "3" means "3".
        # A button numbered by what it stands for ("4. Емхана" in a checklist) answers to its
        # own number before its position.
        exact = (
            [b for b in buttons if typed == b["label"].casefold()]
            # as read: a label shown in Latin or Arabic letters, typed back in either
            or [b for b in buttons if normalise(typed) == normalise(b["label"]) != ""]
            or [b for b in buttons if numbers and b["label"].startswith(f"{typed}. ")]
            or [b for i, b in enumerate(buttons, 1) if numbers and typed == str(i)]
        )
        # Part of a label ("салыстыру" for "Басқа өңірмен салыстыру") when only one has it.
        partial = [b for b in buttons if len(typed) >= 4 and typed in b["label"].casefold()]
        chosen = exact[:1] or (partial if len(partial) == 1 else [])
        if chosen:
            inc.kind, inc.action = "action", chosen[0]["action"]
            # The transcript keeps words as typed ("Как топить печь?"), a number as the
            # label it pressed.
            inc.pressed_label = chosen[0]["label"] if typed.isdigit() else None

    async def _record(self, s: AsyncSession, ctx: Context) -> None:
        inc, contact = ctx.incoming, ctx.contact
        s.add(
            Message(
                contact_id=contact.id,
                channel=inc.channel,
                direction="in",
                kind=inc.kind,
                text=inc.pressed_label or inc.text,
                action=inc.action[:64] if inc.action else None,
                payload={"attachments": inc.attachments} if inc.attachments else {},
                external_id=inc.message_id,
            )
        )
        limit = self.caps[inc.channel].max_text
        if ctx.replies:
            await promote(s, contact.id)
        # As the person reads them (their script): a pressed label is kept as it was shown.
        shown = [for_reader(contact, reply) for reply in ctx.replies]
        for reply in shown:
            s.add_all(new_rows(contact, reply, limit, PRIORITY_REPLY, as_written=True))
        with_buttons = [r for r in shown if r.buttons]
        if ctx.replies:
            contact.last_buttons = (
                [b.to_dict() for b in with_buttons[-1].buttons] if with_buttons else []
            )


class _Duplicate(Exception):
    pass
