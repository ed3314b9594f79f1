"""Printable booklets for career centres: every region in Kazakh, Russian and English, A4 or
A5 folded (two pages to a landscape A4 sheet: print both sides, fold, staple)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from bot import booklets
from console.links import bot_username
from console.web import HEADERS, SignedIn, render, runtime_of
from content.package import get_package

router = APIRouter()


@router.get("/console/booklets", response_class=HTMLResponse)
async def booklets_page(request: Request, signed: SignedIn) -> HTMLResponse:
    from content.booklet import LANGS, SIZES

    lib = get_package().lib
    locale = signed.staff.locale
    regions = sorted(lib.regions.values(), key=lambda r: r.name.get(locale, r.id))
    link = booklets.bot_link(runtime_of(request).settings, "region", await bot_username(request))
    return render(
        request, "booklets.html", signed,
        regions=regions, langs=LANGS, sizes=SIZES, qr=link is not None,
    )  # fmt: skip


@router.get("/console/booklets/{region}/{lang}/{size}.pdf")
async def booklet_file(
    request: Request, region: str, lang: str, size: str, signed: SignedIn
) -> FileResponse:
    settings = runtime_of(request).settings
    try:
        path = await booklets.get(settings, region, lang, size, await bot_username(request))
    except ValueError:
        raise HTTPException(404, "no such booklet") from None
    return FileResponse(path, media_type="application/pdf", filename=path.name, headers=HEADERS)
