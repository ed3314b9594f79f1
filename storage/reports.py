"""Read-only reports for staff tools (no personal data: questions only, no contacts)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import UnansweredQuestion, utcnow


async def unanswered_questions(url: str, days: int) -> list[tuple[str, str, str, str, str]]:
    db = Database(url)
    try:
        async with db.sessions() as s:
            rows = await s.scalars(
                select(UnansweredQuestion)
                .where(UnansweredQuestion.created_at >= utcnow() - timedelta(days=days))
                .order_by(UnansweredQuestion.id.desc())
            )
            return [
                (
                    q.created_at.isoformat(timespec="minutes"),
                    q.lang,
                    q.text,
                    q.best_key or "",
                    f"{q.best_score:.3f}" if q.best_score is not None else "",
                )
                for q in rows
            ]
    finally:
        await db.dispose()
