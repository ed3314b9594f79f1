"""The printed package: one booklet per region, from the same pages and facts as the bot.

The IOM evaluation found that women learn about the programme mostly from career centres,
relatives and TV, not the internet; a career centre prints this and hands it out. A4 to
print as it is, or A5 imposed two to a landscape A4 sheet in booklet order: print both
sides, fold in the middle, staple. Dated, with each topic's sources and a QR code to the bot.
Files are cached under a hash of what they show, so an edit of a page or a fact makes a new
booklet on the next request and an unchanged one is never drawn twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib
import segno
from fpdf import FPDF
from pypdf import PageObject, PdfReader, PdfWriter, Transformation

from bot.i18n import N_, Translator
from content.model import PROGRAMME, Entry, Library
from content.render import Renderer, source_date

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
SIZES = ("A4", "A5")
PAGE_MM = {"A4": (210, 297), "A5": (148, 210)}
SHEET_PT = (841.89, 595.28)  # landscape A4, in PDF points
KEEP_DAYS = 30  # an older version stays downloadable from the chat where it was sent
LANGS = ("kk", "ru", "en")
# The programme's sections a family needs on paper, in reading order.
PROGRAMME_TOPICS = (
    "eligibility", "steps", "documents", "subsidies", "obligations", "kandas",
    "heating", "adaptation", "getting_land", "women", "youth",
)  # fmt: skip
KANDAS_ONLY = {"kandas"}
TITLE = N_("{region}: what to know before you move")
SUBTITLE = N_("The information package of the voluntary resettlement programme")
AS_OF = N_("Printed from Qonys on {date}. Figures carry their source and date.")
SCAN = N_("Questions? Scan the code to ask Qonys in Kazakh, Russian or English.")
REGION_PART = N_("The region")
PROGRAMME_PART = N_("The programme")
BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Block:
    kind: str  # "h1", "h2", "p", "li", "small", "image"
    text: str = ""


def blocks(lib: Library, region: str, lang: str) -> list[Block]:
    """What the booklet says, in order: the region's topics, then the programme's."""
    renderer, tr = Renderer(lib), Translator(lang)
    out = [Block("h1", tr.gettext(REGION_PART))]
    for topic in sorted(lib.topics["region"].values(), key=lambda t: t.order):
        if entry := lib.entry(f"{region}/{topic.id}", lang):
            out += _entry(renderer, entry)
    out.append(Block("h1", tr.gettext(PROGRAMME_PART)))
    receives_kandases = "kandases" in lib.regions[region].receives
    for tid in PROGRAMME_TOPICS:
        if tid in KANDAS_ONLY and not receives_kandases:
            continue
        if entry := lib.entry(f"{PROGRAMME}/{tid}", lang):
            out += _entry(renderer, entry)
    return out


def _entry(renderer: Renderer, entry: Entry) -> list[Block]:
    """One page, both parts, numbered as one text so [1] means the same source throughout."""
    whole = dataclasses.replace(entry, short=f"{entry.short}\n\n{entry.more}".strip(), more="")
    text, sources = renderer.numbered(renderer.expand(whole))
    out = [Block("h2", entry.title)]
    for para in text.split("\n\n"):
        for line in para.split("\n"):
            line = line.strip()
            if line.startswith("- "):
                out.append(Block("li", line[2:]))
            elif line:
                out.append(Block("p", line))
    for n, src in enumerate(sources, 1):
        when = source_date(src.date, entry.lang)
        out.append(Block("small", f"[{n}] {src.publisher[entry.lang]}, {when}. {src.url}"))
    return out


def fingerprint(content: list[Block], size: str, link: str | None) -> str:
    text = "\n".join(f"{b.kind}:{b.text}" for b in content)
    return hashlib.sha256(f"{size}|{link}|{text}".encode()).hexdigest()[:16]


def build(
    lib: Library, region: str, lang: str, size: str, folder: Path, link: str | None,
    today: date | None = None,
) -> Path:  # fmt: skip
    """The booklet's file, drawn if this version of it has not been drawn before."""
    if region not in lib.regions or lang not in LANGS or size not in SIZES:
        raise ValueError(f"no booklet {region}/{lang}/{size}")
    content = blocks(lib, region, lang)
    stem = f"qonys-{region}-{lang}-{size.lower()}"
    path = folder / f"{stem}-{fingerprint(content, size, link)}.pdf"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    pdf = render(lib, region, lang, size, link, today or date.today(), content)
    if size == "A5":
        pdf = impose(pdf)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pdf)
    tmp.replace(path)  # atomic: a download never gets half a file
    stale = time.time() - KEEP_DAYS * 86400
    for old in folder.glob(f"{stem}-*.pdf"):
        if old != path and old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)  # an old version nobody's chat links to any more
    return path


class _Booklet(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}", align="C")
        self.set_text_color(0)


def render(
    lib: Library, region: str, lang: str, size: str, link: str | None, today: date,
    content: list[Block] | None = None,
) -> bytes:  # fmt: skip
    tr = Translator(lang)
    pdf = _Booklet(format=PAGE_MM[size])
    scale = 1.0 if size == "A4" else 0.82
    pdf.set_margins(16 * scale, 14 * scale)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    name = lib.regions[region].name[lang]
    pdf.footer_text = f"Qonys · {name} · {today.strftime('%d.%m.%Y')}"
    _cover(pdf, tr, name, link, today, scale)
    for block in content if content is not None else blocks(lib, region, lang):
        _block(pdf, block, scale)
    return bytes(pdf.output())


def _write(
    pdf: FPDF, text: str, size: float, style: str = "", align: str = "L", marked: bool = False
) -> None:
    """A paragraph at `size` points, lines at half the size in mm (about 1.4 line spacing);
    `marked` text draws its **bold** (sources and links are not marked: a URL may hold "--")."""
    pdf.set_font("DejaVu", style, size)
    pdf.multi_cell(0, size * 0.5, text, markdown=marked, align=align, new_x="LMARGIN", new_y="NEXT")


def _cover(pdf: FPDF, tr: Translator, name: str, link: str | None, today: date, k: float) -> None:
    pdf.add_page()
    _write(pdf, tr.gettext(TITLE, region=name), 24 * k, "B")
    pdf.ln(3)
    _write(pdf, tr.gettext(SUBTITLE), 12 * k)
    pdf.ln(4)
    _write(pdf, tr.gettext(AS_OF, date=today.strftime("%d.%m.%Y")), 9 * k)
    if link:
        png = io.BytesIO()
        segno.make(link, error="m").save(png, kind="png", scale=10, border=4)
        png.seek(0)
        pdf.ln(8)
        side = 60 * k
        pdf.image(png, x=(pdf.w - side) / 2, w=side, h=side)
        pdf.ln(2)
        _write(pdf, tr.gettext(SCAN), 11 * k, "B", "C")
        _write(pdf, link, 8 * k, "", "C")


def _block(pdf: FPDF, block: Block, k: float) -> None:
    if block.kind == "h1":
        pdf.add_page()
        _write(pdf, block.text, 20 * k, "B")
        pdf.ln(2)
        return
    if block.kind == "h2":
        if pdf.get_y() > pdf.h * 0.72:  # a heading alone at the foot of a page reads badly
            pdf.add_page()
        pdf.ln(4)
        _write(pdf, block.text, 14 * k, "B")
        pdf.ln(1)
        return
    size, indent, gap = {"p": (10.5, 0, 2), "li": (10.5, 5, 1), "small": (7.5, 0, 0.5)}[block.kind]
    if block.kind == "small":
        pdf.set_text_color(90)
    pdf.set_x(pdf.l_margin + indent)
    text = f"• {block.text}" if block.kind == "li" else block.text
    _write(pdf, text, size * k, marked=block.kind != "small")
    pdf.set_text_color(0)
    pdf.ln(gap)


def impose(a5: bytes) -> bytes:
    """A5 pages two to a landscape A4 sheet in booklet order: printed on both sides and
    folded, the sheets read 1, 2, 3… (pages padded with blanks to a multiple of four)."""
    reader = PdfReader(io.BytesIO(a5))
    pages = list(reader.pages)
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    while len(pages) % 4:
        pages.append(PageObject.create_blank_page(width=width, height=height))
    n, writer = len(pages), PdfWriter()
    fold = SHEET_PT[0] / 2  # both pages meet at the fold, the middle of the sheet
    for sheet in range(n // 4):
        front = (n - 1 - 2 * sheet, 2 * sheet)  # outer side: last and first
        back = (2 * sheet + 1, n - 2 - 2 * sheet)  # inner side
        for left, right in (front, back):
            page = PageObject.create_blank_page(width=SHEET_PT[0], height=SHEET_PT[1])
            page.merge_transformed_page(pages[left], Transformation().translate(tx=fold - width))
            page.merge_transformed_page(pages[right], Transformation().translate(tx=fold))
            writer.add_page(page)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
