"""Staff-side records of the other features: applications and their statuses (find, set a
new status, import a CSV) and appointment slots. A caseworker works only on their regions."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from bot import iin as iins
from bot import phones, status_updates
from bot.api import SlotPlan, plan_times
from bot.i18n import N_, Translator
from bot.textsplit import clean_text
from console.web import (
    Form,
    Signed,
    SignedIn,
    Supervisor,
    audit,
    back,
    flash,
    render,
    runtime_of,
    take_flash,
)
from content.procedures import get_procedures
from handlers.handoff import region_names
from handlers.status import today
from storage import applications
from storage import appointments as appts
from storage.models import Application, Office, Slot, utcnow

router = APIRouter()
MAX_CSV = 2_000_000
SAVED = N_("Saved.")
NOT_CSV = N_("Choose a UTF-8 CSV file of at most 2 MB.")
IMPORTED = N_("Imported: {rows} rows, {changed} applications changed status.")
NOT_IMPORTED = N_("Nothing was imported:")
IDENTITY_CHANGED = N_("The applicant's details were changed.")
REASON_NEEDED = N_("Say why the details change.")


def _covers(signed: Signed, region: str) -> bool:
    return signed.staff.covers(region)


def _actor(signed: Signed) -> status_updates.Actor:
    staff = signed.staff
    return status_updates.Actor.of(
        f"console:{staff.login}", None if staff.all_regions else staff.regions
    )


def _t(signed: Signed, text: str, **kw: object) -> str:
    return Translator(signed.staff.locale).gettext(text, **kw)


def _problems(outcome: status_updates.Outcome, lines: bool = False) -> str:
    """The first ten problems; by the file's line numbers (the header is line 1)."""
    found = list(outcome.errors.items())[:10]
    if not lines:
        return "; ".join(p for _, ps in found for p in ps)
    return " | ".join(f"{n + 1}: {'; '.join(ps)}" for n, ps in found)


@router.get("/console/applications", response_class=HTMLResponse)
async def applications_page(request: Request, signed: SignedIn, number: str = "") -> HTMLResponse:
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
        notice=await take_flash(request, signed),
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
    outcome = await status_updates.apply(runtime.db, runtime.settings, [row], _actor(signed))
    page = f"/console/applications?number={quote(app.number)}"
    if not outcome.ok:
        await flash(request, signed, f"{_t(signed, NOT_IMPORTED)} {_problems(outcome)}")
        return back(page)
    await _after_import(request, signed, outcome, f"{app.number} {row['status']}")
    await flash(request, signed, _t(signed, SAVED))
    return back(page)


@router.post("/console/applications/import")
async def import_csv(request: Request, signed: SignedIn, data: Form) -> Response:
    """Every row is checked against the importer's regions before anything is written: a row
    of another region's application refuses the whole file, naming the rows."""
    upload = data.get("file")
    raw = await upload.read(MAX_CSV + 1) if hasattr(upload, "read") else b""
    try:
        if not raw or len(raw) > MAX_CSV:
            raise ValueError
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (ValueError, csv.Error):  # UnicodeDecodeError is a ValueError
        await flash(request, signed, _t(signed, NOT_CSV))
        return back("/console/applications")
    runtime = runtime_of(request)
    outcome = await status_updates.apply(runtime.db, runtime.settings, rows, _actor(signed))
    if not outcome.ok:
        problems = _problems(outcome, lines=True)
        await flash(request, signed, f"{_t(signed, NOT_IMPORTED)} {problems}")
        return back("/console/applications")
    await _after_import(request, signed, outcome, f"{outcome.rows} rows")
    text = _t(signed, IMPORTED, rows=outcome.rows, changed=outcome.changed)
    await flash(request, signed, text)
    return back("/console/applications")


@router.post("/console/applications/{number}/identity")
async def change_identity(
    request: Request, number: str, signed: Supervisor, data: Form
) -> Response:
    """A supervisor corrects the applicant's phone, IIN or birth date: the one way they change
    for an existing application, with a reason, in the access log (the fields, not values)."""
    fields = {k: str(data.get(k) or "").strip() for k in ("phone", "iin", "birth_date")}
    reason = str(data.get("reason") or "").strip()[:200]
    page = f"/console/applications?number={quote(clean_text(number)[:40])}"
    try:
        if not reason:
            raise ValueError(_t(signed, REASON_NEEDED))
        changes = _identity_values(fields, runtime_of(request).settings.resolved_secret_key())
    except ValueError as exc:
        await flash(request, signed, str(exc))
        return back(page)
    async with runtime_of(request).db.transaction() as s:
        app = await s.scalar(select(Application).where(Application.number == clean_text(number)))
        if app is None or not changes:
            raise HTTPException(404, "no such application")
        for name, value in changes.items():
            setattr(app, name, value)
        app.updated_at = utcnow()
        named = ", ".join(sorted(changes))
        audit(s, signed.staff, "change_identity", detail=f"{app.number}: {named}; {reason}")
    await flash(request, signed, _t(signed, IDENTITY_CHANGED))
    return back(page)


def _identity_values(fields: dict[str, str], secret: str) -> dict[str, object]:
    """The columns to set from the form's non-empty fields; ValueError names a bad one."""
    changes: dict[str, object] = {}
    if fields["phone"]:
        if (digits := phones.key(fields["phone"])) is None:
            raise ValueError("phone: 10 to 15 digits")
        changes["phone"] = digits
    if fields["iin"]:
        if not iins.is_valid(iins.clean(fields["iin"])):
            raise ValueError("IIN: 12 digits with a valid check digit")
        changes["iin_hash"] = iins.keyed_hash(secret, iins.clean(fields["iin"]))
    if fields["birth_date"]:
        try:
            changes["birth_date"] = date.fromisoformat(fields["birth_date"])
        except ValueError:
            raise ValueError("birth date: YYYY-MM-DD") from None
    return changes


async def _after_import(
    request: Request, signed: Signed, outcome: status_updates.Outcome, what: str
) -> None:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as s:
        audit(s, signed.staff, "set_status", detail=what)
    for channel in outcome.channels:
        runtime.wake(channel)


@router.get("/console/slots", response_class=HTMLResponse)
async def slots_page(request: Request, signed: SignedIn) -> HTMLResponse:
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
        notice=await take_flash(request, signed),
        today=today(runtime_of(request).settings).isoformat(),
    )


@router.post("/console/slots")
async def add_slots(request: Request, signed: SignedIn, data: Form) -> Response:
    runtime = runtime_of(request)
    office_id = str(data.get("office") or "")
    try:
        plan = SlotPlan.model_validate({k: data.get(k) for k in _PLAN_FIELDS if data.get(k)})
    except ValidationError as exc:
        plan, problems = None, "; ".join(str(e["msg"]) for e in exc.errors())
    async with runtime.db.transaction() as s:
        office = await s.get(Office, office_id)
        if office is None or not _covers(signed, office.region):
            raise HTTPException(404, "no such office")
        if plan is not None:
            times = plan_times(plan, ZoneInfo(runtime.settings.timezone))
            added = await appts.publish(s, office.id, times, plan.minutes, plan.service)
            audit(s, signed.staff, "add_slots", detail=f"{office.id} {added}")
            problems = f"{office.id}: +{added}"
    await flash(request, signed, problems)
    return back("/console/slots")


_PLAN_FIELDS = ("date_from", "date_to", "first", "last", "every_minutes", "minutes", "service")
