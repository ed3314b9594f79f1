"""The content studio: staff keep the package true without a developer. Pages and facts are
edited with the checks of `qonys content check` shown as they type and a preview per channel;
a change goes out only after a second person approves it, and reaches every worker within
seconds (bot.live_content). Every action is in the access log."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.i18n import N_
from console.web import Form, Signed, audit, back, render, role, runtime_of
from content import frontmatter, translation_csv, validate
from content.model import LANGS, PROGRAMME
from content.package import get_package
from storage import revisions
from storage.revisions import Conflict, Doc, NotAllowed

router = APIRouter()
Editor = Annotated[Signed, Depends(role(*revisions.EDITORS))]
REASON_MAX = 300
STATES = {
    "draft": N_("draft"), "review": N_("in review"), "published": N_("published"),
    "rejected": N_("rejected"), "superseded": N_("replaced by a newer text"),
}  # fmt: skip


def _doc(value: str) -> Doc:
    doc = Doc(value.strip())
    if not doc.valid():
        raise HTTPException(404, "no such page or fact")
    return doc


@router.get("/console/content", response_class=HTMLResponse)
async def tree(request: Request, signed: Editor) -> HTMLResponse:
    """Programme sections and regions × topics, each language with its state."""
    lib = get_package().lib
    async with runtime_of(request).db.sessions() as s:
        heads = {r.doc: r for r in await revisions.heads(s)}
        waiting = await revisions.in_review(s)
        ids = await revisions.published_ids(s)

    def stale(page: str, lang: str) -> bool:
        """Kazakh published after this translation's own last publish."""
        kk, own = ids.get(f"{page}.kk.md"), ids.get(f"{page}.{lang}.md")
        return lang != "kk" and kk is not None and (own is None or own < kk)

    def reviewed(page: str) -> Any:
        folder, topic = page.split("/")[-2:]
        entry = lib.entries.get((f"{folder}/{topic}", "kk"))
        return entry.reviewed if entry else None

    sections = [(PROGRAMME, None, sorted(lib.topics.get(PROGRAMME, {}).values(), key=_order))]
    for region in sorted(lib.regions.values(), key=lambda r: r.name.get(signed.staff.locale, r.id)):
        sections.append(
            ("regions/" + region.id, region, sorted(lib.topics["region"].values(), key=_order))
        )
    return render(
        request, "studio_tree.html", signed, sections=sections, heads=heads, langs=LANGS,
        waiting=waiting, exists=lambda doc: Doc(doc).valid(), files=revisions.editable_files(),
        stale=stale, reviewed=reviewed,
    )  # fmt: skip


def _order(topic: Any) -> int:
    return topic.order


@router.get("/console/content/edit", response_class=HTMLResponse)
async def edit(request: Request, signed: Editor, doc: str) -> HTMLResponse:
    d = _doc(doc)
    if not revisions.may_edit(signed.staff, d):
        raise HTTPException(403, "not your region's page")
    async with runtime_of(request).db.sessions() as s:
        text, parent = await revisions.text_of(s, d)
        top = await revisions.head(s, d)
        stale = await revisions.stale(s, d)
    lib = get_package().lib
    check = _checked(d, text, lib)
    return render(
        request, "studio_edit.html", signed, doc=d, text=text, parent=parent or "", head=top,
        stale=stale, conflict=None, states=STATES, fields=frontmatter.decompose(text),
        uses=validate.uses_of(d.id[5:], lib) if d.is_fact else [], **check,
    )  # fmt: skip


def _checked(doc: Doc, text: str, lib: Any) -> dict[str, Any]:
    if doc.is_source:
        return {"findings": validate.source(text), "previews": []}
    if doc.is_file:
        return {"findings": validate.tree_file(doc.id, text, lib), "previews": []}
    if doc.is_fact:
        _spec, findings = validate.fact(doc.id[5:], text, lib)
        return {"findings": findings, "previews": []}
    entry, findings = validate.page(doc.id, text, lib)
    errors = [f for f in findings if f.level == "error"]
    previews = validate.previews(entry, lib) if entry is not None and not errors else []
    return {"findings": findings, "previews": previews}


def _text(data: dict[str, Any]) -> str:
    """The document's text: composed from the page's fields, or as typed (YAML documents)."""
    if "body" in data:
        return frontmatter.compose(frontmatter.from_form(data))
    return str(data.get("text", "")).replace("\r\n", "\n")


@router.post("/console/content/check", response_class=HTMLResponse)
async def check(request: Request, signed: Editor, data: Form) -> HTMLResponse:
    """What is wrong with the text being typed, and how each channel shows it (htmx)."""
    d = _doc(str(data.get("doc", "")))
    text = _text(data)
    return render(
        request, "studio_check.html", signed, doc=d, **_checked(d, text, get_package().lib)
    )


@router.post("/console/content/save")
async def save(request: Request, signed: Editor, data: Form) -> Any:
    """Save a draft (and, with `submit`, send it for review). Refused with the reasons when
    the check finds an error; shown the other text when someone saved meanwhile."""
    d = _doc(str(data.get("doc", "")))
    text = _text(data)
    reason = str(data.get("reason", ""))[:REASON_MAX]
    parent = int(data["parent"]) if str(data.get("parent", "")).isdigit() else None
    lib = get_package().lib
    checked = _checked(d, text, lib)
    errors = [f for f in checked["findings"] if f.level == "error"]
    runtime = runtime_of(request)
    conflict = None
    if not errors:
        try:
            async with runtime.db.transaction() as s:
                row = await revisions.save(s, d, text, signed.staff, parent, reason)
                if data.get("submit"):
                    await revisions.submit(s, row.id, signed.staff)
                audit(s, signed.staff, "content_submit" if data.get("submit") else "content_save",
                      detail=f"{d.id} #{row.id}")  # fmt: skip
            return back(f"/console/content/history?doc={d.id}")
        except NotAllowed as exc:
            raise HTTPException(403, str(exc)) from None
        except Conflict as exc:
            conflict = exc.head
    async with runtime.db.sessions() as s:
        top = await revisions.head(s, d)
        stale = await revisions.stale(s, d)
    response = render(
        request, "studio_edit.html", signed, doc=d, text=text, reason=reason,
        parent=parent or "", head=top, stale=stale, conflict=conflict, states=STATES,
        fields=frontmatter.decompose(text),
        theirs=_diff(text, conflict.body) if conflict else [], uses=[], **checked,
    )  # fmt: skip
    response.status_code = 409 if conflict else 422
    return response


@router.get("/console/content/history", response_class=HTMLResponse)
async def history(
    request: Request, signed: Editor, doc: str, a: int | None = None, b: int | None = None
) -> HTMLResponse:
    d = _doc(doc)
    async with runtime_of(request).db.sessions() as s:
        rows = await revisions.history(s, d)
        stale = await revisions.stale(s, d)
    texts = {r.id: r.body for r in rows} | {0: revisions.shipped(d)}
    diff = _diff(texts.get(a, ""), texts.get(b, "")) if a in texts and b in texts else []
    return render(request, "studio_history.html", signed, doc=d, rows=rows, stale=stale,
                  diff=diff, a=a, b=b, states=STATES)  # fmt: skip


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line by line: (" ", line), ("-", removed) or ("+", added)."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line[:1] in " -+":
            out.append((line[:1], line[2:]))
    return out


@router.get("/console/content/review", response_class=HTMLResponse)
async def review(request: Request, signed: Editor) -> HTMLResponse:
    async with runtime_of(request).db.sessions() as s:
        waiting = await revisions.in_review(s)
        changes = []
        for row in waiting:
            d = Doc(row.doc)
            before = await revisions.published(s, d)
            old = before.body if before else revisions.shipped(d)
            changes.append((row, _diff(old, row.body), revisions.may_edit(signed.staff, d)))
    settings = runtime_of(request).settings
    return render(request, "studio_review.html", signed, changes=changes,
                  self_approval=settings.content_self_approval)  # fmt: skip


@router.post("/console/content/decide")
async def decide(request: Request, signed: Editor, data: Form) -> RedirectResponse:
    """Approve (publish) or reject a change in review."""
    rev_id = int(data["id"]) if str(data.get("id", "")).isdigit() else 0
    runtime = runtime_of(request)
    try:
        async with runtime.db.transaction() as s:
            if data.get("approve"):
                row = await revisions.approve(
                    s, rev_id, signed.staff, runtime.settings.content_self_approval
                )
            else:
                row = await revisions.reject(s, rev_id, signed.staff, str(data.get("why", "")))
            audit(s, signed.staff, f"content_{row.state}", detail=f"{row.doc} #{row.id}")
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except Conflict:
        raise HTTPException(409, "this change was decided or replaced meanwhile") from None
    if row.state == "published":
        await runtime.content.load()  # this worker at once; the others on the signal
        runtime.content.published()
    return back("/console/content/review")


@router.post("/console/content/rollback")
async def rollback(request: Request, signed: Editor, data: Form) -> RedirectResponse:
    """An old version back, as a new change that goes through review."""
    d = _doc(str(data.get("doc", "")))
    rev_id = int(data["id"]) if str(data.get("id", "")).isdigit() else -1
    try:
        async with runtime_of(request).db.transaction() as s:
            row = await revisions.rollback(s, d, rev_id, signed.staff)
            await revisions.submit(s, row.id, signed.staff)
            audit(s, signed.staff, "content_rollback", detail=f"{d.id} to #{rev_id}")
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except Conflict:
        raise HTTPException(409, "no such version of this page") from None
    return back("/console/content/review")


@router.get("/console/content/translate", response_class=HTMLResponse)
async def translate(request: Request, signed: Editor, page: str) -> HTMLResponse:
    """The page's languages side by side, paragraph by paragraph, with what is stale."""
    kk = _doc(f"{page}.kk.md")
    columns = {}
    async with runtime_of(request).db.sessions() as s:
        for lang in LANGS:
            text, _ = await revisions.text_of(s, kk.sibling(lang))
            columns[lang] = [p for p in translation_csv.split(text)[1] if p.strip()]
        stale = await revisions.stale(s, kk)
    rows = max(len(c) for c in columns.values())
    table = [
        [columns[lang][i] if i < len(columns[lang]) else "" for lang in LANGS] for i in range(rows)
    ]
    return render(request, "studio_translate.html", signed, page=page, table=table,
                  stale=stale, langs=LANGS)  # fmt: skip


@router.post("/console/content/confirm")
async def confirm(request: Request, signed: Editor, data: Form) -> RedirectResponse:
    """A translation still right after the Kazakh changed: published again as it is, which
    clears its stale mark (no text changes, so no review)."""
    d = _doc(str(data.get("doc", "")))
    runtime = runtime_of(request)
    try:
        async with runtime.db.transaction() as s:
            await revisions.confirm(s, d, signed.staff)
            audit(s, signed.staff, "content_confirm", detail=d.id)
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    return back(f"/console/content/translate?page={d.page}")


@router.get("/console/content/facts", response_class=HTMLResponse)
async def facts(request: Request, signed: Editor, prefix: str = "kz") -> HTMLResponse:
    """The facts registry of one region (or `kz`, the whole country), each with its edit link
    and whether it is past its review-by date."""
    lib = get_package().lib
    prefixes = sorted({key.split(".", 1)[0] for key in lib.facts})
    if prefix not in prefixes:
        raise HTTPException(404, "no such group of facts")
    rows = sorted((f for k, f in lib.facts.items() if k.startswith(prefix + ".")),
                  key=lambda f: f.key)  # fmt: skip
    return render(request, "studio_facts.html", signed, prefix=prefix, prefixes=prefixes,
                  rows=rows, today=date.today())  # fmt: skip


@router.get("/console/content/stale", response_class=HTMLResponse)
async def stale_dashboard(request: Request, signed: Editor) -> HTMLResponse:
    """Per region: pages past their review date, facts past their review-by date, and the
    offices there, so each office knows what to check."""
    from content.render import is_stale
    from storage.appointments import offices

    lib, today = get_package().lib, date.today()
    regions: dict[str, dict[str, list[Any]]] = {}
    for entry in lib.entries.values():
        if is_stale(entry.reviewed, today):
            doc = str(entry.path.relative_to(lib.root))
            regions.setdefault(entry.region or "kz", {"pages": [], "facts": [], "offices": []})[
                "pages"].append((doc, entry.reviewed))  # fmt: skip
    for key, fact in lib.facts.items():
        if fact.review_by and fact.review_by < today:
            group = key.split(".", 1)[0]
            regions.setdefault(group, {"pages": [], "facts": [], "offices": []})["facts"].append(
                (key, fact.review_by)
            )
    async with runtime_of(request).db.sessions() as s:
        for office in await offices(s):
            if office.region in regions:
                regions[office.region]["offices"].append(office)
    names = {rid: r.name.get(signed.staff.locale, rid) for rid, r in lib.regions.items()}
    return render(request, "studio_stale.html", signed, regions=sorted(regions.items()),
                  names=names)  # fmt: skip


CSV_MAX = 2 * 1024 * 1024
TARGETS = ("ru", "en")


@router.get("/console/content/translations.csv")
async def translations_csv(
    request: Request, signed: Editor, lang: str, region: str = ""
) -> Response:
    """The pages (of one region, or `programme`, or all) for a translator: Kazakh beside
    `lang`, paragraph by paragraph, with the stale ones marked."""
    if lang not in TARGETS:
        raise HTTPException(404, "translations are into ru or en")
    lib, rows = get_package().lib, []
    async with runtime_of(request).db.sessions() as s:
        for entry in sorted(lib.entries.values(), key=lambda e: str(e.path)):
            page = str(entry.path.relative_to(lib.root))[: -len(".kk.md")]
            if entry.lang != "kk" or (region and page.split("/")[-2] != region):
                continue
            kk = Doc(f"{page}.kk.md")
            if not revisions.may_edit(signed.staff, kk) or not kk.sibling(lang).valid():
                continue
            source, _ = await revisions.text_of(s, kk)
            target, _ = await revisions.text_of(s, kk.sibling(lang))
            rows.append((page, source, target, (await revisions.stale(s, kk)).get(lang, False)))
    name = f"qonys-{region or 'all'}-kk-{lang}.csv"
    return Response(
        translation_csv.write(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/console/content/translations", response_class=HTMLResponse)
async def translations_import(request: Request, signed: Editor, data: Form) -> Response:
    """A translator's CSV back: each page whose paragraphs changed becomes a change in
    review. A file that is not such a CSV, or a page that fails the checks, changes nothing."""
    lang = str(data.get("lang", ""))
    upload = data.get("file")
    raw = await upload.read(CSV_MAX + 1) if hasattr(upload, "read") else b""
    problems: list[str] = []
    try:
        if lang not in TARGETS or not raw or len(raw) > CSV_MAX:
            raise ValueError("choose ru or en and a UTF-8 CSV file of at most 2 MB")
        pages = translation_csv.read(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        problems = [str(exc)[:300]]
        pages = {}
    lib, changes = get_package().lib, []
    async with runtime_of(request).db.sessions() as s:
        for page, paragraphs in sorted(pages.items()):
            doc = Doc(f"{page}.{lang}.md")
            if not doc.valid() or not revisions.may_edit(signed.staff, doc):
                problems.append(f"{page}: not a page you may edit")
                continue
            current, parent = await revisions.text_of(s, doc)
            new = translation_csv.apply(current, paragraphs)
            errors = [f for f in validate.page(doc.id, new, lib)[1] if f.level == "error"]
            problems += [f"{doc.id}: {f.message}" for f in errors]
            if new != current and not errors:
                changes.append((doc, new, parent))
    if problems:
        response = render(request, "studio_import.html", signed, problems=problems)
        response.status_code = 422
        return response
    async with runtime_of(request).db.transaction() as s:
        for doc, new, parent in changes:
            row = await revisions.save(s, doc, new, signed.staff, parent, "translation (CSV)")
            await revisions.submit(s, row.id, signed.staff)
        audit(s, signed.staff, "content_import", detail=f"{lang}: {len(changes)} pages")
    return back("/console/content/review")
