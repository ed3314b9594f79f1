"""Links and QR codes for posters at career centres and fairs, and who came through each.

A code rides in the link: Telegram's `?start=<code>`, the web chat's `?start=<code>`, and
WhatsApp's pre-filled first message `/start <code>`. The first code a person arrives with is
kept on their contact (handlers/start.py), so each poster's reach can be counted.
"""

from __future__ import annotations

import io
import re

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from bot.deeplinks import start_urls
from console.web import HEADERS, Form, Supervisor, audit, back, render, runtime_of
from storage.models import Case, Contact, SourceLink
from storage.segments import TOPICS, subscribed

router = APIRouter()
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what Telegram allows in a start parameter


async def bot_username(request: Request) -> str | None:
    settings = runtime_of(request).settings
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    telegram = request.app.state.telegram
    if telegram is None:
        return None
    try:
        return (await telegram.bot.me()).username  # aiogram asks once and remembers
    except Exception:  # Telegram unreachable: the page still works without this link
        return None


async def urls(request: Request, code: str) -> dict[str, str]:
    return start_urls(runtime_of(request).settings, code, await bot_username(request))


@router.get("/console/links", response_class=HTMLResponse)
async def links_page(request: Request, signed: Supervisor) -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        links = list(await s.scalars(select(SourceLink).order_by(SourceLink.created_at.desc())))
        counts = await reach(s)
    rows = [(link, await urls(request, link.code), counts.get(link.code, {})) for link in links]
    return render(request, "links.html", signed, rows=rows)


async def reach(s) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Per source code: people by channel, people subscribed to any news, people who asked
    for a caseworker."""
    out: dict[str, dict[str, int]] = {}
    by_channel = await s.execute(
        select(Contact.source, Contact.channel, func.count())
        .where(Contact.source.is_not(None))
        .group_by(Contact.source, Contact.channel)
    )
    for code, channel, count in by_channel.all():
        row = out.setdefault(code, {"people": 0})
        row[channel] = count
        row["people"] += count
    any_news = subscribed(TOPICS[0])
    for topic in TOPICS[1:]:
        any_news = any_news | subscribed(topic)
    news = await s.execute(
        select(Contact.source, func.count())
        .where(Contact.source.is_not(None), any_news)
        .group_by(Contact.source)
    )
    for code, count in news.all():
        out.setdefault(code, {"people": 0})["news"] = count
    cases = await s.execute(
        select(Contact.source, func.count(func.distinct(Case.contact_id)))
        .join(Case, Case.contact_id == Contact.id)
        .where(Contact.source.is_not(None))
        .group_by(Contact.source)
    )
    for code, count in cases.all():
        out.setdefault(code, {"people": 0})["cases"] = count
    return out


@router.post("/console/links")
async def link_create(request: Request, signed: Supervisor, data: Form) -> Response:
    code, label = str(data.get("code") or "").strip(), str(data.get("label") or "").strip()
    if not CODE.match(code) or not label or len(label) > 120:
        raise HTTPException(422, "a code of letters, digits, _ and - (up to 64), and a label")
    async with runtime_of(request).db.transaction() as s:
        if await s.get(SourceLink, code) is not None:
            raise HTTPException(409, "that code exists already")
        s.add(SourceLink(code=code, label=label, created_by=signed.staff.login))
        audit(s, signed.staff, "link_create", detail=f"{code}: {label}")
    return back("/console/links")


@router.get("/console/links/{code}/{channel}.png")
async def link_qr(request: Request, code: str, channel: str, signed: Supervisor) -> Response:
    """A QR code to print: large modules and a quiet zone, readable from a poster."""
    if not CODE.match(code):  # no such code was ever saved (and NUL would upset PostgreSQL)
        raise HTTPException(404, "no such link")
    async with runtime_of(request).db.sessions() as s:
        link = await s.get(SourceLink, code)
    url = (await urls(request, code)).get(channel) if link else None
    if url is None:
        raise HTTPException(404, "no such link")
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=12, border=4)
    headers = {
        **HEADERS,
        "Content-Disposition": f'attachment; filename="qonys-{code}-{channel}.png"',
    }
    return Response(out.getvalue(), media_type="image/png", headers=headers)
