"""One case on one screen: the transcript, the person's file, and the caseworker's actions
(claim, reassign, reply, note, close). Every route finds the case through the staff member's
regions, so another region's case id answers 404 whatever is typed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.outbox import PRIORITY_REPLY, for_reader, new_rows
from bot.runtime import CAPS, Runtime
from bot.types import Reply
from console.dossier import dossier
from console.web import Form, Signed, SignedIn, audit, back, render, runtime_of
from handlers import handoff
from storage import cases
from storage.models import CannedReply, Case, Contact, Message, RowId, StaffUser, utcnow

router = APIRouter()
TRANSCRIPT_LIMIT = 300
MAX_REPLY = 4000
WINDOW = timedelta(hours=24)  # WhatsApp: free text only within 24 h of the person's message
TEMPLATES = Path(handoff.__file__).resolve().parents[1] / "content" / "whatsapp" / "templates.yaml"
# Types a browser may show inline; anything else downloads, so no file can run as a page.
INLINE = {"image/jpeg", "image/png", "image/webp", "audio/ogg", "audio/mpeg", "audio/mp4",
          "audio/aac", "audio/amr", "video/mp4", "application/pdf"}  # fmt: skip
CLOSED_UNANSWERED = N_(
    "Your request to a caseworker was closed. You can ask again at any time: /operator"
)
NOTICES = {
    "taken": N_("Someone else took this case a moment ago."),
    "closed": N_("This case is closed."),
    "empty": N_("Write something first."),
    "long": N_("The message is too long."),
}


async def _case(s: AsyncSession, signed: Signed, case_id: int) -> tuple[Case, Contact]:
    case = await cases.case_for(s, signed.staff, case_id)
    if case is None:
        raise HTTPException(404, "no such case")
    contact = await s.get(Contact, case.contact_id)
    if contact is None:
        raise HTTPException(404, "no such case")
    return case, contact


async def _transcript(s: AsyncSession, case: Case) -> list[Any]:
    """The case's own messages: the context the person agreed to share, then everything
    until the case closed (cases.span); nothing they said to the bot outside it."""
    rows = await s.execute(
        cases.span(
            select(Message, StaffUser.name)
            .outerjoin(StaffUser, StaffUser.id == Message.staff_id)
            .where(Message.contact_id == case.contact_id),
            case,
        )
        .order_by(Message.id.desc())
        .limit(TRANSCRIPT_LIMIT)
    )
    return list(rows)[::-1]


@asynccontextmanager
async def _held(
    runtime: Runtime, signed: Signed, case_id: int
) -> AsyncIterator[tuple[AsyncSession, Case, Contact]]:
    """The case in a transaction under the person's lock, so what a caseworker writes and what
    the person sends meanwhile keep their order."""
    async with runtime.db.sessions() as s:
        _, contact = await _case(s, signed, case_id)
    key = f"{contact.channel}:{contact.external_id}"
    async with runtime.core.locks.hold(key), runtime.db.transaction() as s:
        case, contact = await _case(s, signed, case_id)
        yield s, case, contact


def window_closed(contact: Contact, last_inbound: Any) -> bool:
    return contact.channel == "whatsapp" and (
        last_inbound is None or utcnow() - last_inbound > WINDOW
    )


@router.get("/console/cases/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request, case_id: RowId, signed: SignedIn, notice: str = ""
) -> HTMLResponse:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as s:
        case, contact = await _case(s, signed, case_id)
        audit(s, signed.staff, "view_case", contact_id=contact.id, case_id=case.id)
        transcript = await _transcript(s, case)
        file = await dossier(s, contact, signed.staff.locale)
        notes = await cases.notes(s, case)
        earlier = await cases.previous(s, case)
        staff = await cases.assignable(s, case)
        assignee = await s.get(StaffUser, case.assignee_id) if case.assignee_id else None
        canned = list(
            await s.scalars(select(CannedReply).order_by(CannedReply.locale, CannedReply.title))
        )
        last_in = max((m.created_at for m, _ in transcript if m.direction == "in"), default=None)
    templates = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
    lang = contact.locale or contact.locale_hint or runtime.settings.default_locale
    return render(
        request,
        "case.html",
        signed,
        case=case,
        contact=contact,
        transcript=transcript,
        file=file,
        notes=notes,
        earlier=earlier,
        staff_choices=staff,
        assignee=assignee,
        canned=canned,
        person_lang=lang,
        window_closed=window_closed(contact, last_in),
        template=templates["new_message"]["body"].get(lang, ""),
        outcomes=cases.OUTCOMES,
        topics=handoff.TOPIC_LABELS,
        regions=handoff.region_names(signed.staff.locale),
        notice=NOTICES.get(notice),
    )


@router.get("/console/cases/{case_id}/transcript", response_class=HTMLResponse)
async def transcript_fragment(request: Request, case_id: RowId, signed: SignedIn) -> HTMLResponse:
    """The live part of an open case page; the page itself was audited when opened."""
    async with runtime_of(request).db.sessions() as s:
        case, _ = await _case(s, signed, case_id)
        transcript = await _transcript(s, case)
    return render(request, "transcript.html", signed, case=case, transcript=transcript)


@router.post("/console/cases/{case_id}/claim")
async def claim(request: Request, case_id: RowId, signed: SignedIn, _: Form) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as s:
        case, contact = await _case(s, signed, case_id)
        took = await cases.claim(s, signed.staff, case)
        if took:
            audit(s, signed.staff, "claim", contact_id=contact.id, case_id=case.id)
    runtime.signals.publish("console")
    return back(f"/console/cases/{case_id}" + ("" if took else "?notice=taken"))


@router.post("/console/cases/{case_id}/assign")
async def assign(request: Request, case_id: RowId, signed: SignedIn, data: Form) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.transaction() as s:
        case, contact = await _case(s, signed, case_id)
        if case.status == "closed":
            return back(f"/console/cases/{case_id}?notice=closed")
        to = next((u for u in await cases.assignable(s, case) if str(u.id) == data.get("to")), None)
        if to is None:
            raise HTTPException(422, "this person cannot take cases of this region")
        await cases.reassign(s, case, to)
        audit(s, signed.staff, "assign", contact_id=contact.id, case_id=case.id, detail=to.login)
    runtime.signals.publish("console")
    return back(f"/console/cases/{case_id}")


@router.post("/console/cases/{case_id}/reply")
async def reply(request: Request, case_id: RowId, signed: SignedIn, data: Form) -> Response:
    text = str(data.get("text") or "").strip()
    if not text:
        return back(f"/console/cases/{case_id}?notice=empty")
    if len(text) > MAX_REPLY:
        return back(f"/console/cases/{case_id}?notice=long")
    runtime = runtime_of(request)
    async with _held(runtime, signed, case_id) as (s, case, contact):
        if case.status == "closed":
            return back(f"/console/cases/{case_id}?notice=closed")
        limit = CAPS[contact.channel].max_text
        rows = new_rows(contact, Reply(text=text), limit, PRIORITY_REPLY, as_written=True)
        for row in rows:
            row.staff_id, row.payload = (
                signed.staff.id,
                {**row.payload, "agent": signed.staff.name},
            )
        s.add_all(rows)
        cases.mark_replied(case, signed.staff)
        audit(s, signed.staff, "reply", contact_id=contact.id, case_id=case.id)
    runtime.wake(contact.channel)
    runtime.signals.publish("console")
    return back(f"/console/cases/{case_id}")


@router.post("/console/cases/{case_id}/note")
async def note(request: Request, case_id: RowId, signed: SignedIn, data: Form) -> Response:
    text = str(data.get("text") or "").strip()[:10_000]
    if not text:
        return back(f"/console/cases/{case_id}?notice=empty")
    async with runtime_of(request).db.transaction() as s:
        case, contact = await _case(s, signed, case_id)
        cases.add_note(s, signed.staff, case, text)
        audit(s, signed.staff, "note", contact_id=contact.id, case_id=case.id)
    return back(f"/console/cases/{case_id}")


@router.post("/console/cases/{case_id}/close")
async def close(request: Request, case_id: RowId, signed: SignedIn, data: Form) -> Response:
    outcome = str(data.get("outcome") or "")
    if outcome not in cases.OUTCOMES:
        raise HTTPException(422, "choose an outcome")
    runtime = runtime_of(request)
    async with _held(runtime, signed, case_id) as (s, case, contact):
        if case.status == "closed":
            return back(f"/console/cases/{case_id}?notice=closed")
        cases.close(case, outcome, "staff")
        tell_closed(s, contact, case, runtime.settings.default_locale)
        audit(s, signed.staff, "close", contact_id=contact.id, case_id=case.id, detail=outcome)
    runtime.wake(contact.channel)
    runtime.signals.publish("console")
    return back("/console")


def tell_closed(s: AsyncSession, contact: Contact, case: Case, default_locale: str) -> None:
    """The person leaves the caseworker's hold; asked for a rating when someone answered."""
    if contact.step == handoff.STEP:
        contact.step, contact.step_data = None, {}
    if case.first_response_at is None:
        t = Translator(contact.locale or contact.locale_hint or default_locale)
        reply_ = Reply(text=t.gettext(CLOSED_UNANSWERED))
    else:
        reply_ = handoff.closing(contact, case, default_locale)
    reply_ = for_reader(contact, reply_)
    contact.last_buttons = [b.to_dict() for b in reply_.buttons]
    limit = CAPS[contact.channel].max_text
    s.add_all(new_rows(contact, reply_, limit, PRIORITY_REPLY, as_written=True))


@router.get("/console/cases/{case_id}/media/{message_id}")
async def media(request: Request, case_id: RowId, message_id: RowId, signed: SignedIn) -> Response:
    """A photo, voice note or document the person sent, fetched from their platform."""
    runtime = runtime_of(request)
    async with runtime.db.transaction() as s:
        case, contact = await _case(s, signed, case_id)
        # Only a file sent within the case's span: the same messages the case shows.
        row = await s.scalar(cases.span(select(Message).where(Message.id == message_id), case))
        files = (row.payload or {}).get("attachments", []) if row else []
        file = next((f for f in files if isinstance(f, dict) and f.get("ref")), None)
        if row is None or row.contact_id != contact.id or row.direction != "in" or file is None:
            raise HTTPException(404, "no such file")
        audit(s, signed.staff, "open_file", contact_id=contact.id, case_id=case.id)
    channel = getattr(request.app.state, contact.channel, None)
    if channel is None or not hasattr(channel, "fetch"):
        raise HTTPException(404, "this channel is not connected")
    try:
        data = await channel.fetch(file["ref"], runtime.settings.media_max_mb * 1024 * 1024)
    except Exception as exc:  # the platform lost it, or it is too big: say so, do not crash
        raise HTTPException(502, "the platform did not return the file") from exc
    mime = str(file.get("mime") or "application/octet-stream").split(";")[0].strip().lower()
    shown = "inline" if mime in INLINE else "attachment"
    return Response(
        data,
        media_type=mime if mime in INLINE else "application/octet-stream",
        headers={
            "Content-Disposition": f'{shown}; filename="qonys-{message_id}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; media-src 'self'; img-src 'self'",
        },
    )
