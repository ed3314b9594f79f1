"""From unanswered question to content: what people asked that the package did not answer,
grouped by meaning with counts and languages; an editor answers a group by linking it to a
page (its phrasings become that page's example questions, through review), and the people who
asked to be told hear of the answer once it is published (bot.scheduler)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from console.web import Form, Signed, audit, back, render, role, runtime_of
from content import validate
from content.package import get_package
from content.phrasings import add_questions
from content.question_groups import group
from storage import revisions
from storage.models import UnansweredQuestion, utcnow
from storage.revisions import Doc

router = APIRouter()
Editor = Annotated[Signed, Depends(role(*revisions.EDITORS))]
DAYS, LIMIT = 180, 3000


def _pages(locale: str) -> list[tuple[str, str]]:
    """Every page as (page id, a readable name): "regions/pavlodar/housing"."""
    lib, out = get_package().lib, []
    for key, lang in lib.entries:
        if lang == "kk":
            folder, topic = key.split("/")
            page = f"programme/{topic}" if folder == "programme" else f"regions/{folder}/{topic}"
            region = lib.regions.get(folder)
            found = lib.topic(topic, None if folder == "programme" else folder)
            where = region.name.get(locale, folder) if region else ""
            label = found.label.get(locale, topic) if found else topic
            out.append((page, f"{where}: {label}" if where else label))
    return sorted(out, key=lambda p: p[1])


@router.get("/console/content/unanswered", response_class=HTMLResponse)
async def unanswered(request: Request, signed: Editor) -> HTMLResponse:
    since = utcnow() - timedelta(days=DAYS)
    async with runtime_of(request).db.sessions() as s:
        rows = (await s.execute(
            select(UnansweredQuestion.id, UnansweredQuestion.lang, UnansweredQuestion.text,
                   UnansweredQuestion.best_key)
            .where(UnansweredQuestion.answer.is_(None), UnansweredQuestion.created_at >= since)
            .order_by(UnansweredQuestion.id.desc()).limit(LIMIT)
        )).all()  # fmt: skip
    groups = group(list(rows), get_package().index)
    pages = _pages(signed.staff.locale)
    guesses = {key: _page_of(key) for g in groups if (key := g.guess)}
    return render(request, "studio_unanswered.html", signed, groups=groups, pages=pages,
                  guesses=guesses)  # fmt: skip


def _page_of(key: str) -> str:
    folder, topic = key.split("/", 1)
    return f"programme/{topic}" if folder == "programme" else f"regions/{folder}/{topic}"


@router.post("/console/content/unanswered/link")
async def link(request: Request, signed: Editor, data: Form) -> RedirectResponse:
    """Answer a group with a page: each language's phrasings join that language's page as
    example questions (a change for review); the questions are marked answered by it."""
    page = str(data.get("page", ""))
    ids = [int(x) for x in str(data.get("ids", "")).split(",") if x.isdigit()][:LIMIT]
    if page not in dict(_pages(signed.staff.locale)) or not ids:
        raise HTTPException(422, "choose a page")
    lib = get_package().lib
    async with runtime_of(request).db.transaction() as s:
        found = list(await s.scalars(select(UnansweredQuestion).where(
            UnansweredQuestion.id.in_(ids), UnansweredQuestion.answer.is_(None))))  # fmt: skip
        for lang in sorted({q.lang for q in found}):
            doc = Doc(f"{page}.{lang}.md")
            if not doc.valid() or not revisions.may_edit(signed.staff, doc):
                raise HTTPException(403, "not a page you may edit")
            text, parent = await revisions.text_of(s, doc)
            new = add_questions(text, [q.text[:200] for q in found if q.lang == lang])
            errors = [f for f in validate.page(doc.id, new, lib)[1] if f.level == "error"]
            if new != text and not errors:
                row = await revisions.save(s, doc, new, signed.staff, parent, "people's questions")
                await revisions.submit(s, row.id, signed.staff)
        for q in found:
            q.answer = page
        audit(s, signed.staff, "content_link", detail=f"{len(found)} questions → {page}")
    return back("/console/content/review")
