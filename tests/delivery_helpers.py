"""What the fault tests read back from the database: what is still to be sent, and every
text reply in the order it was written, per chat."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Contact, Message


async def unsent(db: Database) -> int:
    """Outgoing rows not yet settled (pending or on their way)."""
    async with db.sessions() as s:
        return (
            await s.scalar(
                select(func.count()).where(
                    Message.direction == "out", Message.status.in_(("pending", "sending"))
                )
            )
            or 0
        )


async def text_replies(db: Database) -> list[tuple[str, str, str]]:
    """(chat id, text, status) of every outgoing text row, oldest first."""
    async with db.sessions() as s:
        rows = await s.execute(
            select(Contact.external_id, Message.text, Message.status)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.direction == "out", Message.kind == "text")
            .order_by(Message.id)
        )
        return [(ext, text or "", status) for ext, text, status in rows]
