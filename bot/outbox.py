"""The outbox: outbound rows of the `messages` table, claimed and settled by senders.

A row is written in the same transaction as the state change that caused it (see core.py).
Senders claim due rows with a lease and mark a row `dispatched_at` just before they call
the platform. A row still `sending` when its lease runs out (the process died) goes back to
`pending` if it never left; if it was on its way, a reply is sent again (twice beats never)
and a campaign message is settled as sent (a person never gets the same news twice).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Update, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.textsplit import split_text
from bot.types import Reply
from content.scripts import render
from storage.db import Database
from storage.models import Contact, Message, utcnow

PRIORITY_REPLY = 0
PRIORITY_BULK = 10
UNFINISHED = ("pending", "sending")


def new_rows(
    contact: Contact, reply: Reply, text_limit: int, priority: int, *, as_written: bool = False
) -> list[Message]:
    """One row per platform message: long text is split, buttons ride on the last part.
    Kazakh is written in the script its reader chose, buttons too; `as_written`: already
    so (for_reader), or a caseworker's own words, which go as they were typed."""
    if not as_written:
        reply = for_reader(contact, reply)
    payload = reply.to_payload()
    fmt = {"fmt": payload["fmt"]} if "fmt" in payload else {}
    fmt["lang"] = contact.locale  # channels word their own controls (a list's button)
    rows = []
    if "media" in payload:  # a picture or file goes first, as a message of its own
        rows.append(
            _row(contact, "image", "", {"buttons": [], "media": payload["media"]}, priority)
        )
    parts = split_text(reply.text, text_limit) if reply.text.strip() else []
    for i, part in enumerate(parts):
        buttons = payload["buttons"] if i == len(parts) - 1 else []
        rows.append(_row(contact, "text", part, {"buttons": buttons, **fmt}, priority))
    return rows


def for_reader(contact: Contact, reply: Reply) -> Reply:
    """The reply in the contact's script: content stays Cyrillic, converted as it is queued
    (figures, links and the names of sources stay as they are)."""
    script = (contact.script or "cyrl") if contact.locale == "kk" else "cyrl"
    media = reply.media
    if media and media.caption:
        media = replace(media, caption=render(media.caption, script))
    return Reply(
        text=render(reply.text, script),
        buttons=[replace(b, label=render(b.label, script)) for b in reply.buttons],
        media=media,
        fmt=reply.fmt,
    )


def enqueue(s: AsyncSession, contact: Contact, reply: Reply, priority: int) -> None:
    """A message that answers nothing the person just sent: a reminder, a notification."""
    from bot.runtime import CAPS  # the runtime builds the core, which imports this module

    s.add_all(new_rows(contact, reply, CAPS[contact.channel].max_text, priority))


def signed_text(msg: Claimed) -> str:
    """A caseworker's message says who wrote it, so the person knows a human answers."""
    agent = msg.payload.get("agent")
    return f"👤 {agent}:\n{msg.text}" if agent else msg.text


def _row(contact: Contact, kind: str, text: str, payload: dict, priority: int) -> Message:
    return Message(
        contact_id=contact.id,
        channel=contact.channel,
        direction="out",
        kind=kind,
        text=text,
        payload=payload,
        status="pending",
        priority=priority,
        attempts=0,
        next_attempt_at=utcnow(),
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    contact_id: int
    chat_id: str
    text: str
    payload: dict
    attempts: int
    kind: str = "text"
    priority: int = PRIORITY_REPLY
    claimed_at: datetime | None = None


async def claim(
    db: Database, channel: str, limit: int, max_priority: int = PRIORITY_BULK
) -> list[Claimed]:
    """Due rows of a channel, at most one per contact (the oldest), so a person's messages go
    out in order. Replies come before bulk traffic; `max_priority` can leave bulk out."""
    now = utcnow()
    earlier = aliased(Message)
    blocked_by_earlier = exists().where(
        and_(
            earlier.contact_id == Message.contact_id,
            earlier.direction == "out",
            earlier.status.in_(UNFINISHED),
            earlier.id < Message.id,
        )
    )
    query = (
        select(Message, Contact.external_id)
        .join(Contact, Contact.id == Message.contact_id)
        .where(
            Message.channel == channel,
            Message.direction == "out",
            Message.status == "pending",
            Message.next_attempt_at <= now,
            Message.priority <= max_priority,
            ~blocked_by_earlier,
        )
        .order_by(Message.priority, Message.id)
        .limit(limit)
    )
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True, of=Message)
    async with db.transaction() as s:
        rows = (await s.execute(query)).all()
        for msg, _ in rows:
            msg.status, msg.claimed_at, msg.attempts = "sending", now, msg.attempts + 1
    return [
        Claimed(m.id, m.contact_id, ext, m.text or "", m.payload or {}, m.attempts, m.kind,
                m.priority, now)
        for m, ext in rows
    ]  # fmt: skip


async def dispatch(db: Database, row: Claimed) -> bool:
    """Record that the row is leaving now; False if its claim was lost meanwhile (its lease
    ran out and it was claimed again), so it must not be sent by us."""
    async with db.transaction() as s:
        result = await s.execute(
            update(Message)
            .where(
                Message.id == row.id,
                Message.status == "sending",
                Message.claimed_at == row.claimed_at,
            )
            .values(dispatched_at=utcnow())
        )
    return result.rowcount == 1


async def mark_sent(db: Database, msg_id: int, external_id: str | None) -> None:
    async with db.transaction() as s:
        await s.execute(
            update(Message)
            .where(Message.id == msg_id)
            .values(status="sent", sent_at=utcnow(), external_id=external_id, error=None)
        )


async def retry_later(
    db: Database, msg_id: int, at: datetime, error: str, *, refund_attempt: bool = False
) -> None:
    values = {
        "status": "pending",
        "next_attempt_at": at,
        "claimed_at": None,
        "dispatched_at": None,
        "error": error[:500],
    }
    if refund_attempt:
        values["attempts"] = Message.attempts - 1
    async with db.transaction() as s:
        await s.execute(update(Message).where(Message.id == msg_id).values(**values))


def _failed(msg_id: int, error: str) -> Update:
    return update(Message).where(Message.id == msg_id).values(status="failed", error=error[:500])


async def mark_failed(db: Database, msg_id: int, error: str) -> None:
    async with db.transaction() as s:
        await s.execute(_failed(msg_id, error))


async def mark_unreachable(db: Database, msg_id: int, contact_id: int, error: str) -> None:
    """The person blocked the bot or left the platform: the message failed and the contact is
    marked, together, so nobody sees one without the other."""
    async with db.transaction() as s:
        await s.execute(_failed(msg_id, error))
        await s.execute(update(Contact).where(Contact.id == contact_id).values(blocked_at=utcnow()))


async def release_stale(db: Database, lease_seconds: float) -> int:
    """Rows left `sending` by a process that died go back to the queue, except campaign
    messages that were already on their way: those most likely arrived."""
    now = utcnow()
    stale = and_(
        Message.status == "sending", Message.claimed_at < now - timedelta(seconds=lease_seconds)
    )
    on_its_way = and_(Message.dispatched_at.is_not(None), Message.priority >= PRIORITY_BULK)
    async with db.transaction() as s:
        await s.execute(
            update(Message)
            .where(stale, on_its_way)
            .values(status="sent", sent_at=now, error="unconfirmed: the sender stopped mid-send")
        )
        result = await s.execute(
            update(Message)
            .where(stale)
            .values(status="pending", claimed_at=None, dispatched_at=None, next_attempt_at=now)
        )
    return result.rowcount or 0


async def promote(s: AsyncSession, contact_id: int) -> None:
    """A person who is chatting gets their queued campaign message now, before the replies
    that follow it, instead of waiting behind everyone else's."""
    await s.execute(
        update(Message)
        .where(
            Message.contact_id == contact_id,
            Message.status == "pending",
            Message.priority > PRIORITY_REPLY,
        )
        .values(priority=PRIORITY_REPLY)
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential back-off with full jitter (seconds)."""
    return random.uniform(base, min(cap, base * 2**attempts))


async def take_for_contact(db: Database, contact_id: int) -> list[Message]:
    """All pending rows of one contact, marked sent: for channels that print synchronously."""
    async with db.transaction() as s:
        rows = list(
            await s.scalars(
                select(Message)
                .where(
                    Message.contact_id == contact_id,
                    Message.direction == "out",
                    Message.status == "pending",
                )
                .order_by(Message.id)
            )
        )
        for row in rows:
            row.status, row.sent_at, row.attempts = "sent", utcnow(), row.attempts + 1
    return rows


async def wait(db: Database, msg_id: int, reason: str) -> None:
    """Parked until the channel can take it again (WhatsApp: the person writes back)."""
    async with db.transaction() as s:
        await s.execute(
            update(Message)
            .where(Message.id == msg_id)
            .values(
                status="waiting", claimed_at=None, attempts=Message.attempts - 1, error=reason[:500]
            )
        )
