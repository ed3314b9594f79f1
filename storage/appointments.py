"""Offices, the times staff open there, and bookings.

A booking is one conditional UPDATE (`… WHERE contact_id IS NULL`): of two people pressing the
same time at once, the database lets exactly one through, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.textsplit import clean_text
from storage.models import Office, Slot, utcnow


class OfficeIn(BaseModel):
    """An office as staff describe it in offices.yaml or through the API."""

    model_config = {"extra": "forbid"}

    id: str = Field(pattern=r"^[a-z0-9_\-]{2,40}$")
    region: str = Field(pattern=r"^[a-z_]{2,32}$")
    kind: str = Field("career_centre", pattern=r"^(career_centre|adaptation_centre)$")
    name: dict[str, str]
    address: dict[str, str]
    hours: dict[str, str] = {}
    services: list[str]
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    avg_wait_days: float | None = Field(None, ge=0)
    avg_wait_as_of: date | None = None
    active: bool = True

    @field_validator("name", "address", "hours", "services")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        """No control characters (PostgreSQL refuses NUL; no person should see them)."""
        texts = [*value, *value.values()] if isinstance(value, dict) else list(value)
        if any(clean_text(str(t)) != str(t) for t in texts):
            raise ValueError("control characters are not allowed")
        return value


async def save_office(s: AsyncSession, data: OfficeIn) -> Office:
    office = await s.get(Office, data.id) or Office(id=data.id)
    for key, value in data.model_dump().items():
        setattr(office, key, value)
    s.add(office)
    await s.flush()
    return office


async def offices(s: AsyncSession, region: str | None = None) -> list[Office]:
    query = select(Office).where(Office.active.is_(True)).order_by(Office.region, Office.id)
    if region:
        query = query.where(Office.region == region)
    return list(await s.scalars(query))


async def open_slots(
    s: AsyncSession, office_id: str, service: str, start: datetime, end: datetime
) -> list[Slot]:
    """Free times of an office for a service, from `start` to `end`, earliest first."""
    query = (
        select(Slot)
        .where(
            Slot.office_id == office_id,
            Slot.contact_id.is_(None),
            Slot.starts_at >= start,
            Slot.starts_at < end,
            or_(Slot.service == service, Slot.service == "any"),
        )
        .order_by(Slot.starts_at, Slot.id)
    )
    return list(await s.scalars(query))


async def upcoming(s: AsyncSession, contact_id: int, now: datetime | None = None) -> Slot | None:
    query = (
        select(Slot)
        .where(Slot.contact_id == contact_id, Slot.starts_at > (now or utcnow()))
        .order_by(Slot.starts_at)
        .limit(1)
    )
    return await s.scalar(query)


async def book(s: AsyncSession, slot_id: int, contact_id: int, service: str) -> Slot | None:
    """Take the slot if it is still free and in the future; None when someone was faster."""
    now = utcnow()
    result = await s.execute(
        update(Slot)
        .where(
            Slot.id == slot_id,
            Slot.contact_id.is_(None),
            Slot.starts_at > now,
            or_(Slot.service == service, Slot.service == "any"),
        )
        .values(
            contact_id=contact_id,
            booked_service=service,
            booked_at=now,
            reminded_day_at=None,
            reminded_soon_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    slot = await s.get(Slot, slot_id, populate_existing=True)
    return slot


async def release(s: AsyncSession, slot: Slot) -> None:
    slot.contact_id, slot.booked_service, slot.booked_at = None, None, None
    slot.reminded_day_at = slot.reminded_soon_at = None
    await s.flush()


def day_times(
    day: date, first: time, last: time, every_minutes: int, tz: ZoneInfo
) -> list[datetime]:
    """Start times on `day` from `first` up to (not including) `last`, local time."""
    out, moment = [], datetime.combine(day, first, tzinfo=tz)
    end = datetime.combine(day, last, tzinfo=tz)
    while moment < end:
        out.append(moment)
        moment += timedelta(minutes=every_minutes)
    return out


async def publish(
    s: AsyncSession, office_id: str, starts: list[datetime], minutes: int, service: str = "any"
) -> int:
    """Open these times; a time already open for this service is left alone. Returns new."""
    existing = set(
        await s.scalars(
            select(Slot.starts_at).where(
                Slot.office_id == office_id,
                Slot.service == service,
                Slot.starts_at.in_(starts),
            )
        )
    )
    new = [t for t in starts if t not in existing]
    s.add_all(Slot(office_id=office_id, service=service, starts_at=t, minutes=minutes) for t in new)
    await s.flush()
    return len(new)


def office_public(office: Office) -> dict[str, Any]:
    return {
        "id": office.id,
        "region": office.region,
        "kind": office.kind,
        "name": office.name,
        "services": office.services,
    }
