"""Segments and campaigns for supervisors: define who, write what, see the plan, send, watch.

Every change is audited. A campaign is edited only as a draft; once scheduled its texts and
its segment are frozen, so what the plan promised is what people get.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from bot.campaigns import button_choices, compose
from bot.clock import after_span
from bot.i18n import N_, Translator
from bot.settings import LOCALES
from console.web import Form, Supervisor, audit, back, env, render, runtime_of
from content.questionnaire import get_questionnaires
from handlers.questionnaire import option_labels
from handlers.subscriptions import TOPIC_LABELS
from storage import campaigns as store
from storage import segments
from storage.models import Campaign, RowId, Segment, SourceLink, parse_id, utcnow

router = APIRouter()
STATUS_LABELS = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "running": N_("sending"),
    "paused": N_("paused"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
env.globals.update(topic_labels=TOPIC_LABELS, status_labels=STATUS_LABELS)
PROFILE_CHOICES = ("gender", "age_band", "programme", "stage", "settlement_after")
REGION_CHOICES = {"origin_region": "origin_region", "destination": "destination"}
CHANNELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "web": N_("Web chat")}
# Short names of the needs flags the assessment sets (content/questionnaire/recommendations).
FLAG_LABELS = {
    "stove_novice": N_("Never heated with a stove"),
    "first_cold_winter": N_("First cold winter"),
    "low_savings": N_("Little savings"),
    "hard_debts": N_("Hard debts"),
    "single_parent": N_("Single parent"),
    "no_home_yet": N_("No home yet"),
    "housing_search": N_("Looking for housing"),
    "medical_care": N_("Needs medical care"),
    "job_search": N_("Looking for work"),
    "school_children": N_("School-age children"),
    "preschool_children": N_("Preschool children"),
}
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}
IMAGE_MAX = 5 * 1024 * 1024


def filter_options(lang: str, codes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Every value a filter can take, labelled in the staff member's language."""
    q = get_questionnaires()
    out: dict[str, list[tuple[str, str]]] = {}
    for name in (*PROFILE_CHOICES, *REGION_CHOICES):
        question = q.question("profile", name)
        out[name] = option_labels(question, lang) if question else []
    out["language"] = [(code, code) for code in LOCALES]
    tr = Translator(lang)
    out["channel"] = [(c, tr.gettext(label)) for c, label in CHANNELS.items()]
    out["flags"] = [
        (r.flag, tr.gettext(FLAG_LABELS[r.flag]) if r.flag in FLAG_LABELS else r.flag)
        for r in q.rules
    ]
    out["source"] = [(c, c) for c in codes]
    return out


async def _codes(request: Request) -> list[str]:
    async with runtime_of(request).db.sessions() as s:
        return list(await s.scalars(select(SourceLink.code).order_by(SourceLink.code)))


def posted_filters(request_form: Any) -> dict[str, Any]:
    raw = {name: request_form.getlist(name) for name in segments.LIST_FIELDS}
    raw["active_days"] = request_form.get("active_days")
    return segments.clean(raw)


# ---- segments ---------------------------------------------------------------------------


@router.get("/console/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request, signed: Supervisor) -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        rows = list(await s.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200)))
        saved = list(await s.scalars(select(Segment).order_by(Segment.name)))
        figures = {c.id: await store.progress(s, c) for c in rows if c.status != "draft"}
    return render(request, "campaigns.html", signed, rows=rows, segments=saved, figures=figures)


# Decorators apply bottom-up: "new" must be registered before "{segment_id}" captures it.
@router.get("/console/segments/{segment_id}", response_class=HTMLResponse)
@router.get("/console/segments/new", response_class=HTMLResponse)
async def segment_page(request: Request, signed: Supervisor, segment_id: RowId = 0) -> HTMLResponse:
    runtime = runtime_of(request)
    async with runtime.db.sessions() as s:
        segment = await s.get(Segment, segment_id) if segment_id else None
        if segment_id and segment is None:
            raise HTTPException(404, "no such segment")
        filters = segment.filters if segment else {}
        sizes = await segments.sizes(s, filters, runtime.settings.default_locale)
    options = filter_options(signed.staff.locale, await _codes(request))
    return render(
        request, "segment.html", signed, segment=segment, filters=filters, options=options,
        sizes=sizes, topics=segments.TOPICS,
    )  # fmt: skip


@router.post("/console/segments/size", response_class=HTMLResponse)
async def segment_size(request: Request, signed: Supervisor, _: Form) -> HTMLResponse:
    """The live count under the form, while the supervisor ticks boxes."""
    runtime = runtime_of(request)
    filters = posted_filters(await request.form())
    async with runtime.db.sessions() as s:
        sizes = await segments.sizes(s, filters, runtime.settings.default_locale)
    return render(request, "segment_size.html", signed, sizes=sizes, topics=segments.TOPICS)


@router.post("/console/segments")
async def segment_save(request: Request, signed: Supervisor, data: Form) -> Response:
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        raise HTTPException(422, "a name of up to 120 characters")
    filters = posted_filters(await request.form())
    async with runtime_of(request).db.transaction() as s:
        segment = await s.get(Segment, sid) if (sid := parse_id(data.get("id"))) else None
        if segment is None:
            segment = Segment(name=name, filters=filters, created_by=signed.staff.login)
            s.add(segment)
        segment.name, segment.filters, segment.updated_at = name, filters, utcnow()
        await s.flush()
        audit(s, signed.staff, "segment_save", detail=f"{segment.id}: {name}")
    return back("/console/campaigns")


# ---- writing a campaign -----------------------------------------------------------------


@router.get("/console/campaigns/new", response_class=HTMLResponse)
@router.get("/console/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
async def campaign_form(
    request: Request, signed: Supervisor, campaign_id: RowId = 0, segment: RowId = 0
) -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        campaign = await s.get(Campaign, campaign_id) if campaign_id else None
        if campaign_id and (campaign is None or campaign.status != "draft"):
            raise HTTPException(409, "only a draft can be changed")
        saved = list(await s.scalars(select(Segment).order_by(Segment.name)))
    return render(
        request, "campaign_form.html", signed, campaign=campaign, segments=saved,
        chosen=campaign.segment_id if campaign else segment, topics=segments.TOPICS,
        choices=button_choices(signed.staff.locale), locales=LOCALES,
    )  # fmt: skip


@router.post("/console/campaigns")
async def campaign_save(request: Request, signed: Supervisor, data: Form) -> Response:
    form = await request.form()
    fields = _campaign_fields(data, form.getlist("buttons"))
    async with runtime_of(request).db.transaction() as s:
        segment = await s.get(Segment, fields.pop("segment_id"))
        if segment is None:
            raise HTTPException(422, "choose a saved segment")
        campaign = await s.get(Campaign, cid) if (cid := parse_id(data.get("id"))) else None
        if campaign is None:
            campaign = Campaign(created_by=signed.staff.login, status="draft")
            s.add(campaign)
        elif campaign.status != "draft":
            raise HTTPException(409, "only a draft can be changed")
        for key, value in fields.items():
            setattr(campaign, key, value)
        campaign.segment_id, campaign.filters = segment.id, dict(segment.filters)
        await s.flush()
        image = data.get("image")
        if isinstance(image, UploadFile) and image.filename:
            campaign.image = await _save_image(
                runtime_of(request).settings.data_dir, campaign.id, image
            )
        audit(s, signed.staff, "campaign_save", detail=f"{campaign.id}: {campaign.name}")
        target = f"/console/campaigns/{campaign.id}"
    return back(target)


def _campaign_fields(data: dict[str, Any], buttons: list[Any]) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    topic = str(data.get("topic") or "")
    texts = {lang: str(data.get(f"text_{lang}") or "").strip() for lang in LOCALES}
    template = str(data.get("wa_template") or "").strip() or None
    segment_id = parse_id(data.get("segment_id"))
    allowed = {action for action, _ in button_choices("kk")}
    chosen = [str(b) for b in buttons if str(b) in allowed][:2]
    if not name or len(name) > 120 or topic not in segments.TOPICS or segment_id is None:
        raise HTTPException(422, "a name, a topic and a segment are required")
    if not any(texts.values()) or any(len(t) > 3500 for t in texts.values()):
        raise HTTPException(422, "write the text in at least one language (up to 3500 characters)")
    if template and not template.replace("_", "").isalnum():
        raise HTTPException(422, "a WhatsApp template name has letters, digits and _ only")
    return {"name": name, "topic": topic, "texts": texts, "wa_template": template,
            "buttons": chosen, "segment_id": segment_id}  # fmt: skip


async def _save_image(data_dir: Path, campaign_id: int, upload: UploadFile) -> str:
    body = await upload.read(IMAGE_MAX + 1)
    ext = next((e for magic, e in IMAGE_TYPES.items() if body.startswith(magic)), None)
    if ext is None or len(body) > IMAGE_MAX:
        raise HTTPException(422, "a PNG or JPEG picture of at most 5 MB")
    # Beside the charts: public pictures the bot sends, which the web chat shows from /media.
    folder = data_dir / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"campaign-{campaign_id}{ext}").write_bytes(body)
    return f"charts/campaign-{campaign_id}{ext}"


@router.get("/console/campaigns/{campaign_id}/image")
async def campaign_image(request: Request, campaign_id: RowId, signed: Supervisor) -> Response:
    async with runtime_of(request).db.sessions() as s:
        campaign = await s.get(Campaign, campaign_id)
    if campaign is None or not campaign.image:
        raise HTTPException(404, "no picture")
    return FileResponse(runtime_of(request).settings.data_dir / campaign.image)


# ---- plan, sending, progress ------------------------------------------------------------


def rates(request: Request) -> dict[str, float]:
    settings = runtime_of(request).settings
    return {"telegram": settings.telegram_rate_global, "whatsapp": settings.whatsapp_rate}


def previews(campaign: Campaign, data_dir: str) -> list[dict[str, Any]]:
    """How each language's copy looks: Telegram's keyboard rows, WhatsApp's form."""
    # Imported here: aiogram and pywa take 3 s and 130 MB, which a Qonys without Telegram
    # or WhatsApp should not pay at start for a page supervisors open now and then.
    from bot.channels.telegram import keyboard
    from bot.channels.whatsapp import menu_shape

    out = []
    for lang in LOCALES:
        if not (campaign.texts.get(lang) or "").strip():
            continue
        _, reply = compose(campaign, lang, data_dir)
        buttons = [b.to_dict() for b in reply.buttons]
        markup = keyboard(buttons)
        rows = [[b.text for b in row] for row in getattr(markup, "inline_keyboard", [])]
        out.append({"lang": lang, "text": reply.text, "telegram": rows,
                    "whatsapp": menu_shape(reply.text, buttons)})  # fmt: skip
    return out


@router.get("/console/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(request: Request, campaign_id: RowId, signed: Supervisor) -> HTMLResponse:
    runtime = runtime_of(request)
    settings = runtime.settings
    async with runtime.db.sessions() as s:
        campaign = await s.get(Campaign, campaign_id)
        if campaign is None:
            raise HTTPException(404, "no such campaign")
        segment = await s.get(Segment, campaign.segment_id) if campaign.segment_id else None
        each = 2 if campaign.image else 1
        plan = None
        if campaign.status in ("draft", "scheduled"):
            plan = await store.plan(s, campaign, settings.default_locale, rates(request), each)
        figures = await store.progress(s, campaign)
        outcome = await store.results(s, campaign)
    return render(
        request, "campaign.html", signed, c=campaign, segment=segment, plan=plan,
        figures=figures, outcome=outcome, previews=previews(campaign, str(settings.data_dir)),
        quiet=settings.quiet_hours, labels=dict(button_choices(signed.staff.locale)),
    )  # fmt: skip


@router.get("/console/campaigns/{campaign_id}/progress", response_class=HTMLResponse)
async def campaign_progress(
    request: Request, campaign_id: RowId, signed: Supervisor
) -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        campaign = await s.get(Campaign, campaign_id)
        if campaign is None:
            raise HTTPException(404, "no such campaign")
        figures = await store.progress(s, campaign)
        outcome = await store.results(s, campaign)
    return render(request, "campaign_progress.html", signed, c=campaign, figures=figures,
                  outcome=outcome)  # fmt: skip


@router.post("/console/campaigns/{campaign_id}/schedule")
async def campaign_schedule(
    request: Request, campaign_id: RowId, signed: Supervisor, data: Form
) -> Response:
    """Send now or at a time; either way never in quiet hours (it waits for the morning)."""
    settings = runtime_of(request).settings
    zone = ZoneInfo(settings.timezone)
    when = utcnow()
    try:
        if at := str(data.get("at") or "").strip():
            when = datetime.fromisoformat(at).replace(tzinfo=zone)
        # OverflowError: the morning after 9999-12-31 22:00 is past the calendar's end.
        starts = after_span(settings.quiet_hours, max(when, utcnow()), zone)
    except (ValueError, OverflowError) as exc:
        raise HTTPException(422, "a date and time like 2026-12-05T10:00") from exc
    async with runtime_of(request).db.transaction() as s:
        if not await store.set_status(s, campaign_id, ("draft",), "scheduled", starts_at=starts):
            raise HTTPException(409, "only a draft can be scheduled")
        audit(
            s,
            signed.staff,
            "campaign_schedule",
            detail=f"{campaign_id} at {starts:%Y-%m-%d %H:%M}Z",
        )
    request.app.state.campaigns.wake.set()
    return back(f"/console/campaigns/{campaign_id}")


# From which states each button moves a campaign, and what happens to its queued rows.
MOVES = {
    "pause": (("running", "scheduled"), "paused", ("pending", "held")),
    "resume": (("paused",), "running", ("held", "pending")),
    "cancel": (("draft", "scheduled", "running", "paused"), "cancelled", None),
}


@router.post("/console/campaigns/{campaign_id}/{move}")
async def campaign_move(
    request: Request, campaign_id: RowId, move: str, signed: Supervisor, _: Form
) -> Response:
    if move not in MOVES:
        raise HTTPException(404, "no such action")
    frm, to, rows = MOVES[move]
    async with runtime_of(request).db.transaction() as s:
        campaign = await s.get(Campaign, campaign_id)
        if move == "resume" and campaign is not None and campaign.started_at is None:
            to = "scheduled"  # paused before it began: it begins at its time
        extra = {"finished_at": utcnow()} if to == "cancelled" else {}
        if not await store.set_status(s, campaign_id, frm, to, **extra):
            raise HTTPException(409, "the campaign is not in a state for that")
        if rows:
            await store.hold_messages(s, campaign_id, *rows)
        else:
            for status in ("pending", "held"):
                await store.hold_messages(s, campaign_id, status, "cancelled")
        audit(s, signed.staff, f"campaign_{move}", detail=str(campaign_id))
    if move == "resume":
        for channel in ("telegram", "whatsapp", "web"):
            runtime_of(request).wake(channel)
        request.app.state.campaigns.wake.set()
    return back(f"/console/campaigns/{campaign_id}")
