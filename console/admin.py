"""Canned replies (everyone uses them, supervisors keep them) and staff accounts (admins)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from bot.settings import LOCALES
from console import auth
from console.web import Admin, Form, SignedIn, Supervisor, audit, back, render, runtime_of
from handlers.handoff import region_names
from storage.cases import ROLES
from storage.models import CannedReply, RowId, StaffUser, parse_id, utcnow

router = APIRouter()


@router.get("/console/canned", response_class=HTMLResponse)
async def canned_page(request: Request, signed: SignedIn) -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        rows = list(
            await s.scalars(select(CannedReply).order_by(CannedReply.locale, CannedReply.title))
        )
    return render(request, "canned.html", signed, rows=rows, locales=LOCALES)


@router.post("/console/canned")
async def canned_save(request: Request, signed: Supervisor, data: Form) -> Response:
    title, text = str(data.get("title") or "").strip(), str(data.get("text") or "").strip()
    locale = str(data.get("locale") or "")
    if locale not in LOCALES or not title or not text or len(title) > 80 or len(text) > 4000:
        raise HTTPException(422, "a language, a title (up to 80) and a text (up to 4000)")
    async with runtime_of(request).db.transaction() as s:
        row = await s.get(CannedReply, rid) if (rid := parse_id(data.get("id"))) else None
        if row is None:
            row = CannedReply(locale=locale, title=title, text=text)
            s.add(row)
        row.locale, row.title, row.text = locale, title, text
        row.updated_by, row.updated_at = signed.staff.login, utcnow()
        audit(s, signed.staff, "canned_save", detail=title)
    return back("/console/canned")


@router.post("/console/canned/{reply_id}/delete")
async def canned_delete(request: Request, reply_id: RowId, signed: Supervisor, _: Form) -> Response:
    async with runtime_of(request).db.transaction() as s:
        row = await s.get(CannedReply, reply_id)
        if row is not None:
            await s.delete(row)
            audit(s, signed.staff, "canned_delete", detail=row.title)
    return back("/console/canned")


@router.get("/console/staff", response_class=HTMLResponse)
async def staff_page(request: Request, signed: Admin, error: str = "") -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        users = list(await s.scalars(select(StaffUser).order_by(StaffUser.login)))
    return render(
        request,
        "staff.html",
        signed,
        users=users,
        roles=ROLES,
        locales=LOCALES,
        regions=region_names(signed.staff.locale),
        error=error,
    )


@router.post("/console/staff")
async def staff_save(request: Request, signed: Admin, data: Form) -> Response:
    """Create an account, or change one (role, regions, name, password, active)."""
    form = await request.form()
    login = str(data.get("login") or "").strip().lower()
    role, locale = str(data.get("role") or ""), str(data.get("locale") or "kk")
    regions = [r for r in form.getlist("regions") if r in region_names("kk")]
    password = str(data.get("password") or "")
    if not login or len(login) > 64 or role not in ROLES or locale not in LOCALES:
        raise HTTPException(422, "login, role and language are required")
    if role == "caseworker" and not regions:
        return back("/console/staff?error=regions")
    async with runtime_of(request).db.transaction() as s:
        user = await s.scalar(select(StaffUser).where(StaffUser.login == login))
        if user is None and not password:
            return back("/console/staff?error=password")
        try:
            hashed = auth.hash_password(password) if password else None
        except ValueError:
            return back("/console/staff?error=password")
        if user is None:
            user = StaffUser(login=login, password_hash=hashed)
            s.add(user)
        user.name = str(data.get("name") or login).strip()[:128]
        user.role, user.regions, user.locale = role, regions, locale
        user.active = data.get("active", "on") == "on"
        if hashed:
            user.password_hash = hashed
        await s.flush()
        if hashed or not user.active:
            await auth.end_all_sessions(s, user.id)
        audit(s, signed.staff, "staff_save", detail=f"{login} {role} {','.join(regions)}")
    return back("/console/staff")
