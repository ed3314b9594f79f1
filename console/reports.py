"""Supervisor pages: case statistics, unanswered questions, and the audit log."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from console.web import Supervisor, render, runtime_of
from handlers.handoff import TOPIC_LABELS, region_names
from storage import reports
from storage.cases import OUTCOMES
from storage.models import AuditEntry, utcnow

router = APIRouter()
PERIODS = (7, 30, 90, 365)


@router.get("/console/stats", response_class=HTMLResponse)
async def stats(request: Request, signed: Supervisor, days: int = 30) -> HTMLResponse:
    days = days if days in PERIODS else 30
    async with runtime_of(request).db.sessions() as s:
        figures = await reports.case_stats(s, utcnow() - timedelta(days=days))
    regions = sorted({r for r, _ in figures.by_region_topic})
    return render(
        request,
        "stats.html",
        signed,
        st=figures,
        days=days,
        periods=PERIODS,
        regions=regions,
        region_names=region_names(signed.staff.locale),
        topics=TOPIC_LABELS,
        outcomes=OUTCOMES,
    )


@router.get("/console/audit", response_class=HTMLResponse)
async def audit_log(
    request: Request, signed: Supervisor, login: str = "", before: int = 0
) -> HTMLResponse:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
    if login:
        stmt = stmt.where(AuditEntry.staff_login == login[:64])
    if before > 0:
        stmt = stmt.where(AuditEntry.id < before)
    async with runtime_of(request).db.sessions() as s:
        entries = list(await s.scalars(stmt))
    return render(request, "audit.html", signed, entries=entries, login=login[:64])
