"""Read-only reports for staff tools: no personal data, only questions and case figures."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.normalise import normalise
from storage.db import Database
from storage.models import Case, UnansweredQuestion, utcnow


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


@dataclass
class CaseStats:
    """Supervisor figures over a period: what people asked for, how fast, how it went."""

    cases: int = 0
    by_region_topic: dict[tuple[str, str], int] = field(default_factory=dict)
    wait: dict[str, float | None] = field(default_factory=dict)  # median, p90 in minutes
    first_response: dict[str, float | None] = field(default_factory=dict)
    ratings: dict[int, int] = field(default_factory=dict)
    rating_mean: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    comments: list[tuple[int, str]] = field(default_factory=list)
    unanswered: list[tuple[str, str, int]] = field(default_factory=list)  # lang, text, count


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None when there is nothing to measure."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


async def case_stats(s: AsyncSession, since: datetime) -> CaseStats:
    rows = list(await s.scalars(select(Case).where(Case.created_at >= since)))
    st = CaseStats(cases=len(rows))
    waits, firsts, given = [], [], []
    for c in rows:
        key = (c.region or "-", c.topic)
        st.by_region_topic[key] = st.by_region_topic.get(key, 0) + 1
        if c.claimed_at:
            waits.append((c.claimed_at - c.created_at).total_seconds() / 60)
        if c.first_response_at:
            firsts.append((c.first_response_at - c.created_at).total_seconds() / 60)
        if c.rating:
            st.ratings[c.rating] = st.ratings.get(c.rating, 0) + 1
            given.append(c.rating)
        if c.rating_comment:
            st.comments.append((c.rating or 0, c.rating_comment))
        if c.outcome:
            st.outcomes[c.outcome] = st.outcomes.get(c.outcome, 0) + 1
    st.wait = {"median": percentile(waits, 50), "p90": percentile(waits, 90), "n": len(waits)}
    st.first_response = {
        "median": percentile(firsts, 50),
        "p90": percentile(firsts, 90),
        "n": len(firsts),
    }
    st.rating_mean = sum(given) / len(given) if given else None
    st.unanswered = await unanswered_counts(s, since)
    return st


async def unanswered_counts(s: AsyncSession, since: datetime, limit: int = 100) -> list[Any]:
    """The content team's to-do list: the same question asked again counts once more."""
    counts: Counter[tuple[str, str]] = Counter()
    shown: dict[tuple[str, str], str] = {}
    rows = await s.scalars(select(UnansweredQuestion).where(UnansweredQuestion.created_at >= since))
    for q in rows:
        key = (q.lang, normalise(q.text))
        counts[key] += 1
        shown.setdefault(key, q.text)
    return [(lang, shown[(lang, norm)], n) for (lang, norm), n in counts.most_common(limit)]
