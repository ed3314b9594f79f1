"""Staff-side records of the other features: applications and their statuses (find, set a
new status, import a CSV) and appointment slots. A caseworker works only on their regions."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from bot import status_updates
from bot.api import SlotPlan, plan_times
from bot.textsplit import clean_text
from console.web import Form, Signed, SignedIn, audit, back, render, runtime_of
from content.procedures import get_procedures
from handlers.handoff import region_names
from handlers.status import today
from storage import applications
from storage import appointments as appts
from storage.models import Application, Office, Slot, utcnow

router = APIRouter()
MAX_CSV = 2_000_000


def _covers(signed: Signed, region: str) -> bool:
    return signed.staff.covers(region)


@router.get("/console/applications", response_class=HTMLResponse)
async def applications_page(
    request: Request, signed: SignedIn, number: str = "", result: str = ""
) -> HTMLResponse:
    app, events = None, []
    number = clean_text(number).strip()[:40]  # PostgreSQL refuses NUL even in a lookup
    async with runtime_of(request).db.transaction() as s:
        if number:
            app = await s.scalar(select(Application).where(Application.number == number))
            if app is not None and not _covers(signed, app.region):
                app = None  # another region's: the same answer as an unknown number
            if app is not None:
                events = await applications.history(s, app)
                audit(s, signed.staff, "view_application", detail=app.number)
    statuses = get_procedures().statuses
    lang = signed.staff.locale
    choices = [
        (sid, st.title.text(lang))
        for sid, st in statuses.items()
        if app is not None and app.programme in st.programmes
    ]
    return render(
        request,
        "applications.html",
        signed,
        app=app,
        events=events,
        number=number,
        choices=choices,
        titles={sid: st.title.text(lang) for sid, st in statuses.items()},
        result=result,
        today=today(runtime_of(request).settings).isoformat(),
        regions=region_names(lang),
    )


@router.post("/console/applications/{number}/status")
async def set_status(request: Request, number: str, signed: SignedIn, data: Form) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.sessions() as s:
        app = await s.scalar(select(Application).where(Application.number == clean_text(number)))
    if app is None or not _covers(signed, app.region):
        raise HTTPException(404, "no such application")
    row = {
        "application_no": app.number,
        "programme": app.programme,
        "region": app.region,
        "status": str(data.get("status") or ""),
        "status_date": str(data.get("status_date") or ""),
    }
    outcome = await status_updates.apply(
        runtime.db, runtime.settings, [row], f"console:{signed.staff.login}"
    )
    if not outcome.ok:
        problems = "; ".join(p for ps in outcome.errors.values() for p in ps)
        return back(f"/console/applications?number={app.number}&result={_q(problems)}")
    await _after_import(request, signed, outcome, f"{app.number} {row['status']}")
    return back(f"/console/applications?number={app.number}&result=saved")


@router.post("/console/applications/import")
async def import_csv(request: Request, signed: SignedIn, data: Form) -> Response:
    upload = data.get("file")
    raw = await upload.read(MAX_CSV + 1) if hasattr(upload, "read") else b""
    if not raw or len(raw) > MAX_CSV:
        return back("/console/applications?result=" + _q("a CSV file up to 2 MB"))
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        return back("/console/applications?result=" + _q("not a UTF-8 CSV file"))
    foreign = [n for n, r in enumerate(rows, 1) if not _covers(signed, str(r.get("region") or ""))]
    if foreign:
        where = ", ".join(map(str, foreign[:10]))
        return back("/console/applications?result=" + _q(f"rows {where}: not your region"))
    runtime = runtime_of(request)
    outcome = await status_updates.apply(
        runtime.db, runtime.settings, rows, f"console:{signed.staff.login}"
    )
    if not outcome.ok:
        lines = [f"{n}: {'; '.join(p)}" for n, p in list(outcome.errors.items())[:10]]
        return back("/console/applications?result=" + _q(" | ".join(lines)))
    await _after_import(request, signed, outcome, f"{outcome.rows} rows")
    return back("/console/applications?result=" + _q(f"imported {outcome.rows}"))


async def _after_import(
    request: Request, signed: Signed, outcome: status_updates.Outcome, what: str
) -> None:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as s:
        audit(s, signed.staff, "set_status", detail=what)
    for channel in outcome.channels:
        runtime.wake(channel)


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:500])


@router.get("/console/slots", response_class=HTMLResponse)
async def slots_page(request: Request, signed: SignedIn, result: str = "") -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        offices = [o for o in await appts.offices(s) if _covers(signed, o.region)]
        counts = dict(
            (
                await s.execute(
                    select(Slot.office_id, func.count())
                    .where(Slot.starts_at >= utcnow())
                    .group_by(Slot.office_id)
                )
            ).all()
        )
        booked = dict(
            (
                await s.execute(
                    select(Slot.office_id, func.count())
                    .where(Slot.starts_at >= utcnow(), Slot.contact_id.is_not(None))
                    .group_by(Slot.office_id)
                )
            ).all()
        )
    services = get_procedures().services
    return render(
        request,
        "slots.html",
        signed,
        offices=offices,
        counts=counts,
        booked=booked,
        services={k: v.title.text(signed.staff.locale) for k, v in services.items()},
        result=result,
        today=today(runtime_of(request).settings).isoformat(),
    )


@router.post("/console/slots")
async def add_slots(request: Request, signed: SignedIn, data: Form) -> Response:
    runtime = runtime_of(request)
    office_id = str(data.get("office") or "")
    async with runtime.db.transaction() as s:
        office = await s.get(Office, office_id)
        if office is None or not _covers(signed, office.region):
            raise HTTPException(404, "no such office")
        try:
            plan = SlotPlan.model_validate({k: data.get(k) for k in _PLAN_FIELDS if data.get(k)})
        except ValidationError as exc:
            problems = "; ".join(str(e["msg"]) for e in exc.errors())
            return back("/console/slots?result=" + _q(problems))
        times = plan_times(plan, ZoneInfo(runtime.settings.timezone))
        added = await appts.publish(s, office.id, times, plan.minutes, plan.service)
        audit(s, signed.staff, "add_slots", detail=f"{office.id} {added}")
    return back("/console/slots?result=" + _q(f"{office.id}: +{added}"))


_PLAN_FIELDS = ("date_from", "date_to", "first", "last", "every_minutes", "minutes", "service")
