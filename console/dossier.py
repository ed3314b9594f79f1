"""Everything Qonys knows about a person, in the staff member's language, for the case view:
profile, needs assessment, checklist progress, application status, visits, past cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.procedures import Household, get_procedures, personal_items
from content.questionnaire import get_questionnaires
from handlers.handoff import region_names
from storage.models import (
    Application,
    AssessmentResult,
    ChecklistProgress,
    Contact,
    Office,
    Profile,
    Slot,
    StatusSubscription,
    utcnow,
)


@dataclass
class Dossier:
    profile: list[tuple[str, str]] = field(default_factory=list)  # (question, answer)
    needs: list[str] = field(default_factory=list)  # one line per needs flag
    assessed_at: Any = None
    checklists: list[tuple[str, int, int]] = field(default_factory=list)  # title, done, total
    applications: list[tuple[Application, str]] = field(default_factory=list)  # app, status
    visits: list[tuple[Slot, str]] = field(default_factory=list)  # slot, office name


async def dossier(s: AsyncSession, contact: Contact, lang: str) -> Dossier:
    d = Dossier()
    profile = await s.get(Profile, contact.id)
    if profile is not None:
        d.profile = _answers(profile, lang)
    result = await s.get(AssessmentResult, contact.id)
    if result is not None:
        rules = {r.flag: r for r in get_questionnaires().rules}
        d.needs = [rules[f].summary.text(lang) for f in result.flags if f in rules]
        d.assessed_at = result.completed_at
    d.checklists = await _checklists(s, contact, profile, lang)
    procedures = get_procedures()
    apps = await s.scalars(
        select(Application)
        .join(StatusSubscription, StatusSubscription.application_id == Application.id)
        .where(StatusSubscription.contact_id == contact.id)
    )
    for app in apps:
        status = procedures.statuses.get(app.status)
        d.applications.append((app, status.title.text(lang) if status else app.status))
    visits = await s.execute(
        select(Slot, Office)
        .join(Office, Office.id == Slot.office_id)
        .where(Slot.contact_id == contact.id, Slot.starts_at >= utcnow())
        .order_by(Slot.starts_at)
    )
    d.visits = [(slot, (office.name or {}).get(lang) or office.id) for slot, office in visits]
    return d


def _answers(profile: Profile, lang: str) -> list[tuple[str, str]]:
    q = get_questionnaires()
    places = {p.id: p.name.text(lang) for group in q.places.values() for p in group}
    places.update(region_names(lang))
    out = []
    for question in q.profile:
        value = getattr(profile, question.field or "", None) if question.field else None
        if value in (None, "", []):
            value = (profile.extra or {}).get(question.id)
        if value in (None, "", []):
            continue
        options = {o.id: o.label.text(lang) for o in question.options}
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = options.get(str(value)) or places.get(str(value)) or str(value)
        out.append((question.text.text(lang), shown))
    return out


async def _checklists(
    s: AsyncSession, contact: Contact, profile: Profile | None, lang: str
) -> list[tuple[str, int, int]]:
    home = Household()
    if profile is not None and (profile.adults or profile.children):
        ages = tuple(int(a) for a in (profile.children_ages or []) if str(a).isdigit())
        home = Household(profile.adults or 1, profile.children or 0, ages)
    lists = get_procedures().checklists
    out = []
    rows = await s.scalars(
        select(ChecklistProgress).where(ChecklistProgress.contact_id == contact.id)
    )
    for row in rows:
        checklist = lists.get(row.checklist)
        if checklist is None:
            continue
        keys = {p.key for p in personal_items(checklist, home) if not p.item.fetched}
        done = len(keys & set(row.done or []))
        out.append((checklist.title.text(lang), done, len(keys)))
    return out
