"""A person's control of their data: what is stored about them, and erasing it.

Erasure deletes the contact row, which cascades to the transcript, consents, profile and
assessment, and deletes the questions they asked that nothing answered. A blank contact with
only the channel id and language is created again, so the conversation can go on and the
confirmation can be delivered; it holds nothing the person told us.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AssessmentAnswer,
    AssessmentResult,
    Case,
    ChecklistProgress,
    Consent,
    Contact,
    LookupAttempt,
    Message,
    Profile,
    Slot,
    StatusSubscription,
    UnansweredQuestion,
    utcnow,
)


async def erase(s: AsyncSession, contact: Contact) -> Contact:
    channel, external_id, locale = contact.channel, contact.external_id, contact.locale
    script = contact.script  # how they read, like the language, is kept to say goodbye in it
    await s.execute(delete(UnansweredQuestion).where(UnansweredQuestion.contact_id == contact.id))
    await s.execute(
        delete(LookupAttempt).where(
            LookupAttempt.scope == "contact", LookupAttempt.key == str(contact.id)
        )
    )
    await s.execute(delete(Contact).where(Contact.id == contact.id))  # cascades to the rest
    s.expunge(contact)
    blank = Contact(channel=channel, external_id=external_id, locale=locale, script=script)
    blank.step_data, blank.last_buttons, blank.recommended = {}, [], []
    s.add(blank)
    await s.flush()
    return blank


def erase_files(data_dir: Path, contact_id: int) -> int:
    """The files made for this person: checklist PDFs, /mydata records (named by contact id)."""
    removed = 0
    for path in (data_dir / "private").glob(f"*/{contact_id}-*.*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


async def withdraw(s: AsyncSession, contact: Contact) -> None:
    """Consent withdrawn: the profile and assessment go; the conversation itself stays until
    the person asks to forget it or the retention period ends."""
    for model in (Profile, AssessmentAnswer, AssessmentResult, ChecklistProgress):
        await s.execute(delete(model).where(model.contact_id == contact.id))
    contact.recommended = []


async def purge_inactive(s: AsyncSession, months: int) -> int:
    """Retention: people silent for `months` are erased completely."""
    cutoff = utcnow() - timedelta(days=30 * months)
    ids = list(await s.scalars(select(Contact.id).where(Contact.last_seen_at < cutoff)))
    if ids:
        await s.execute(delete(UnansweredQuestion).where(UnansweredQuestion.contact_id.in_(ids)))
        await s.execute(delete(Contact).where(Contact.id.in_(ids)))
    return len(ids)


async def purge_idle_visitors(s: AsyncSession, days: int) -> int:
    """Web-chat visitors who never wrote anything (only the page's automatic /start and
    button presses), gone for `days`: nothing they told us is worth keeping for two years."""
    cutoff = utcnow() - timedelta(days=days)
    wrote = (
        select(Message.id)
        .where(Message.contact_id == Contact.id, Message.direction == "in")
        .where(Message.kind != "action")
        .where(or_(Message.text.is_(None), ~Message.text.startswith("/start")))
    )
    agreed = select(Consent.id).where(Consent.contact_id == Contact.id)
    ids = list(
        await s.scalars(
            select(Contact.id).where(
                Contact.channel == "web",
                Contact.last_seen_at < cutoff,
                ~wrote.exists(),
                ~agreed.exists(),
            )
        )
    )
    if ids:
        await s.execute(delete(Contact).where(Contact.id.in_(ids)))
    return len(ids)


async def export(s: AsyncSession, contact: Contact) -> dict[str, Any]:
    """Everything stored about a person, for /mydata."""
    cid = contact.id

    async def rows(model: Any, order: Any = None) -> list[Any]:
        query = select(model).where(model.contact_id == cid)
        return list(await s.scalars(query.order_by(order) if order is not None else query))

    return {
        "contact": contact,
        "consents": await rows(Consent, Consent.id),
        "profile": await s.get(Profile, cid),
        "answers": await rows(AssessmentAnswer),
        "result": await s.get(AssessmentResult, cid),
        "messages": await rows(Message, Message.id),
        "unanswered": await rows(UnansweredQuestion),
        "checklists": await rows(ChecklistProgress),
        "subscriptions": await rows(StatusSubscription),
        "visits": await rows(Slot, Slot.starts_at),
        "cases": await rows(Case, Case.id),
    }
