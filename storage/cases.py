"""Cases: a person's request to talk to a caseworker, and the work on it.

Every query that staff reach goes through `scoped()`, so a caseworker sees and touches only the
cases of their own regions whatever id they type; supervisors and admins see all regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseNote, Contact, Message, StaffUser, utcnow

TOPICS = ("documents", "money", "housing", "job", "other")
OUTCOMES = ("answered", "referred", "booked", "documents", "no_reply", "other")
ACTIVE = ("waiting", "open")
ROLES = ("caseworker", "supervisor", "admin", "editor")  # editor: the package only


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in staff member, as every console query sees them."""

    id: int
    login: str
    name: str
    role: str
    regions: tuple[str, ...]
    locale: str

    @property
    def all_regions(self) -> bool:
        return self.role in ("supervisor", "admin")

    def covers(self, region: str | None) -> bool:
        """Whose cases, applications and offices this person may see: editors keep the
        package and see no one's data."""
        if self.role == "editor":
            return False
        return self.all_regions or (region is not None and region in self.regions)

    @classmethod
    def of(cls, user: StaffUser) -> Staff:
        return cls(
            user.id, user.login, user.name, user.role, tuple(user.regions or ()), user.locale
        )


def scoped(stmt: Select[Any], staff: Staff) -> Select[Any]:
    """Limit a query over Case to what this staff member may see."""
    if staff.role == "editor":
        return stmt.where(false())
    if staff.all_regions:
        return stmt
    return stmt.where(Case.region.in_(staff.regions))


# ---- the person's side -----------------------------------------------------------------


async def active_case(s: AsyncSession, contact_id: int) -> Case | None:
    return await s.scalar(
        select(Case)
        .where(Case.contact_id == contact_id, Case.status.in_(ACTIVE))
        .order_by(Case.id.desc())
        .limit(1)
    )


# What a person agrees to share when asking for a human (the handoff notice says so): their
# last few messages with the bot before the request, from the last day at most.
CONTEXT_MESSAGES = 20
CONTEXT_HOURS = 24


async def open_case(s: AsyncSession, contact: Contact, region: str | None, topic: str) -> Case:
    recent = await s.scalars(
        select(Message.id)
        .where(Message.contact_id == contact.id)
        .where(Message.created_at >= utcnow() - timedelta(hours=CONTEXT_HOURS))
        .order_by(Message.id.desc())
        .limit(CONTEXT_MESSAGES)
    )
    first = min(recent, default=None)
    case = Case(
        contact_id=contact.id, region=region, topic=topic, status="waiting", context_from_id=first
    )
    s.add(case)
    await s.flush()
    return case


def span(stmt: Select[Any], case: Case) -> Select[Any]:
    """Limit a query over Message to what this case may show: the shared context and the
    conversation until the case closed. Not what the person told the bot before or after."""
    if case.context_from_id is not None:
        stmt = stmt.where(Message.id >= case.context_from_id)
    else:
        stmt = stmt.where(Message.created_at >= case.created_at)
    if case.closed_at is not None:
        stmt = stmt.where(Message.created_at <= case.closed_at)
    return stmt


async def typical_wait(s: AsyncSession, region: str | None, since: datetime) -> float | None:
    """Median minutes from request to a caseworker taking it, over recent claimed cases."""
    rows = await s.execute(
        select(Case.created_at, Case.claimed_at).where(
            Case.region.is_(None) if region is None else Case.region == region,
            Case.claimed_at.is_not(None),
            Case.created_at >= since,
        )
    )
    waits = sorted((b - a).total_seconds() / 60 for a, b in rows if b)
    return waits[len(waits) // 2] if len(waits) >= 3 else None


# ---- the staff side --------------------------------------------------------------------


async def case_for(s: AsyncSession, staff: Staff, case_id: int) -> Case | None:
    """The case if this staff member may see it; None both when it does not exist and when
    it is another region's, so ids cannot be probed."""
    return await s.scalar(scoped(select(Case).where(Case.id == case_id), staff))


async def queue(s: AsyncSession, staff: Staff, view: str, limit: int = 200) -> list[Any]:
    """Rows of (Case, Contact) for a queue view, the longest waiting first."""
    stmt = select(Case, Contact).join(Contact, Contact.id == Case.contact_id)
    if view == "mine":
        stmt = stmt.where(Case.status == "open", Case.assignee_id == staff.id)
    elif view == "region":
        stmt = stmt.where(Case.status.in_(ACTIVE))
    elif view == "closed":
        stmt = stmt.where(Case.status == "closed")
    else:
        stmt = stmt.where(Case.status == "waiting")
    order = Case.closed_at.desc() if view == "closed" else Case.created_at
    return list(await s.execute(scoped(stmt, staff).order_by(order).limit(limit)))


async def waiting_count(s: AsyncSession, staff: Staff) -> int:
    stmt = select(func.count()).select_from(Case).where(Case.status == "waiting")
    return int(await s.scalar(scoped(stmt, staff)) or 0)


async def latest_activity(s: AsyncSession, staff: Staff) -> tuple[int, int]:
    """The newest case id and newest message id on active cases in scope: when either moves,
    the open consoles refresh."""
    newest_case = await s.scalar(scoped(select(func.max(Case.id)), staff))
    newest_message = await s.scalar(
        scoped(
            select(func.max(Message.id))
            .join(Case, Case.contact_id == Message.contact_id)
            .where(Case.status.in_(ACTIVE)),
            staff,
        )
    )
    return int(newest_case or 0), int(newest_message or 0)


async def claim(s: AsyncSession, staff: Staff, case: Case) -> bool:
    """Take a waiting case. A conditional update: two caseworkers pressing at once, one wins."""
    result = await s.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == "waiting")
        .values(status="open", assignee_id=staff.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await s.refresh(case)
    return result.rowcount == 1  # type: ignore[attr-defined]


async def assignable(s: AsyncSession, case: Case) -> list[StaffUser]:
    """Active staff who could hold this case: caseworkers of its region, and supervisors."""
    users = await s.scalars(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
    )
    return [u for u in users if Staff.of(u).covers(case.region) and u.role != "admin"]


async def reassign(s: AsyncSession, case: Case, to: StaffUser) -> None:
    case.assignee_id, case.status = to.id, "open"
    case.claimed_at = case.claimed_at or utcnow()


def add_note(s: AsyncSession, staff: Staff, case: Case, text: str) -> None:
    s.add(CaseNote(case_id=case.id, author_id=staff.id, text=text))


async def notes(s: AsyncSession, case: Case) -> list[Any]:
    return list(
        await s.execute(
            select(CaseNote, StaffUser.name)
            .outerjoin(StaffUser, StaffUser.id == CaseNote.author_id)
            .where(CaseNote.case_id == case.id)
            .order_by(CaseNote.id)
        )
    )


async def previous(s: AsyncSession, case: Case) -> list[Case]:
    return list(
        await s.scalars(
            select(Case)
            .where(Case.contact_id == case.contact_id, Case.id != case.id)
            .order_by(Case.id.desc())
            .limit(20)
        )
    )


def mark_replied(case: Case, staff: Staff) -> None:
    now = utcnow()
    if case.status == "waiting":
        case.status, case.assignee_id, case.claimed_at = "open", staff.id, now
    case.first_response_at = case.first_response_at or now


def close(case: Case, outcome: str, by: str) -> None:
    case.status, case.outcome, case.closed_by, case.closed_at = "closed", outcome, by, utcnow()
