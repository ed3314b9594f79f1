"""Segments: who a campaign goes to, as filters over profile, assessment and activity.

A filter is a list of allowed values per field (any of them matches) plus "active within N
days". Everyone in a segment must also have opted in to the campaign's topic, must not have
blocked the bot, and, for profile filters, must have a profile (which exists only with
consent). The same query counts a segment live in the console and lists recipients.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from bot.textsplit import clean_text
from storage.models import AssessmentResult, Consent, Contact, Profile, utcnow

# Campaign topics a person subscribes to, each a consent kind of its own.
TOPICS = ("women", "youth", "programme")
PROFILE_FIELDS = {
    "gender": Profile.gender,
    "age_band": Profile.age_band,
    "programme": Profile.programme,
    "origin_region": Profile.origin_region,
    "destination": Profile.destination,
    "settlement_after": Profile.settlement_after,
    "stage": Profile.stage,
}
CONTACT_FIELDS = {"channel": Contact.channel, "source": Contact.source}
LIST_FIELDS = (*PROFILE_FIELDS, *CONTACT_FIELDS, "language", "flags")
MAX_VALUES = 50  # a forged form cannot build a query of thousands of terms


def consent_kind(topic: str) -> str:
    return f"news:{topic}"


def clean(raw: dict[str, Any]) -> dict[str, Any]:
    """Only known fields, short string values, a sane day count: what is stored and queried."""
    filters: dict[str, Any] = {}
    for name in LIST_FIELDS:
        values = raw.get(name) or []
        if isinstance(values, str):
            values = [values]
        kept = sorted({clean_text(str(v))[:64] for v in values if clean_text(str(v)).strip()})
        kept = kept[:MAX_VALUES]
        if kept:
            filters[name] = kept
    days = str(raw.get("active_days") or "")
    if days.isascii() and days.isdigit() and 0 < int(days[:5]) <= 3650:  # "²" is a digit too
        filters["active_days"] = int(days)
    return filters


def subscribed(topic: str) -> Any:
    """The person's latest answer about this topic is yes."""
    kind = consent_kind(topic)
    latest = (
        select(func.max(Consent.id))
        .where(Consent.contact_id == Contact.id, Consent.kind == kind)
        .correlate(Contact)
        .scalar_subquery()
    )
    return (
        select(Consent.id)
        .where(Consent.id == latest, Consent.granted.is_(True))
        .correlate(Contact)
        .exists()
    )


def members(filters: dict[str, Any], default_locale: str, topic: str | None = None) -> Select:
    """Contact ids of the segment; with a topic, only those who receive it."""
    query = select(Contact.id).where(Contact.blocked_at.is_(None))
    if any(name in filters for name in PROFILE_FIELDS):
        query = query.join(Profile, Profile.contact_id == Contact.id)
    for name, column in {**PROFILE_FIELDS, **CONTACT_FIELDS}.items():
        if values := filters.get(name):
            query = query.where(column.in_(values))
    if values := filters.get("language"):
        language = func.coalesce(Contact.locale, Contact.locale_hint, default_locale)
        query = query.where(language.in_(values))
    if values := filters.get("flags"):
        # JSON containment differs between SQLite and PostgreSQL; the text form does not.
        text = cast(AssessmentResult.flags, String)
        query = query.join(AssessmentResult, AssessmentResult.contact_id == Contact.id).where(
            or_(*(text.like(f'%"{v}"%') for v in values))
        )
    if days := filters.get("active_days"):
        query = query.where(Contact.last_seen_at >= utcnow() - timedelta(days=days))
    if topic:
        query = query.where(subscribed(topic))
    return query


async def sizes(s: AsyncSession, filters: dict[str, Any], default_locale: str) -> dict[str, int]:
    """How many people match, and how many of them receive each topic."""
    out = {"all": await count(s, members(filters, default_locale))}
    for topic in TOPICS:
        out[topic] = await count(s, members(filters, default_locale, topic))
    return out


async def count(s: AsyncSession, query: Select) -> int:
    return int(await s.scalar(select(func.count()).select_from(query.subquery())) or 0)
