"""The personal checklist as a PDF (fpdf2, with the DejaVu font matplotlib ships, which has
every Kazakh letter). Files carry no name or number of the person, live under a random name
in the private data folder, are deleted with the person (/forget) and after a week."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from pathlib import Path

import matplotlib
from fpdf import FPDF

from bot.context import Context
from content.package import get_package
from content.procedures import Checklist, PersonalItem, source_line
from content.scripts import MARK
from handlers.checklist import FORMS, title_of

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def private_dir(data_dir: Path, kind: str = "checklists") -> Path:
    """Files made for one person: named `<contact id>-<random>`, erased with the person and
    after a week (bot.housekeeping), served by the web chat only to their visitor."""
    path = data_dir / "private" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


async def write_pdf(ctx: Context, c: Checklist, items: list[PersonalItem], done: set[str]) -> Path:
    lines = _lines(ctx, c, items, done)
    path = private_dir(ctx.settings.data_dir) / f"{ctx.contact.id}-{secrets.token_urlsafe(12)}.pdf"
    await asyncio.to_thread(_render, lines, path)
    return path


def _lines(
    ctx: Context, c: Checklist, items: list[PersonalItem], done: set[str]
) -> list[tuple[str, str]]:
    """(style, text) pairs: h = heading, p = paragraph, i = item, s = small print."""
    lang, lib = ctx.locale, get_package().lib
    out = [("h", c.title.text(lang)), ("s", date.today().strftime("%d.%m.%Y"))]
    out.append(("p", c.intro.text(lang)))
    for p in (i for i in items if not i.item.fetched):
        box = "[x]" if p.key in done else "[  ]"
        out.append(("i", f"{box} {title_of(ctx, p)}"))
        details = [
            p.item.where.text(lang),
            ctx._(FORMS[p.item.form]),
            p.item.takes.text(lang),
        ]
        out.append(("s", " · ".join(details)))
    fetched = [i for i in items if i.item.fetched]
    if fetched:
        out.append(
            ("p", ctx._("You do not need to bring these: staff get them from state databases:"))
        )
        out += [("s", f"- {title_of(ctx, p)}") for p in fetched]
    sources = sorted(
        {  # a PDF is printed as it is: no protection marks for the chat's transliteration
            source_line(lib, s, lang).replace(MARK, "")
            for s in [c.source] + [i.item.source for i in items]
        }
    )
    out.append(("s", ctx._("Source: {source}", source="; ".join(s for s in sources if s))))
    out.append(("s", "Qonys"))
    return out


def _render(lines: list[tuple[str, str]], path: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    for style, text in lines:
        size, weight, gap = {"h": (16, "B", 4), "p": (11, "", 3), "i": (11, "B", 1)}.get(
            style, (9, "", 2)
        )
        pdf.set_font("DejaVu", weight, size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)
    pdf.output(str(path))
