"""Climate charts: a PNG per region and language, drawn from the climate facts of the region
(`<region>.climate.record_min`, `.record_max`, `.mean_monthly`), each line labelled exactly as
what it is (records are not averages) and each with its source."""

from __future__ import annotations

import hashlib
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

from babel.dates import get_month_names

from bot.i18n import N_, Translator
from content.model import Library
from content.render import source_date

TITLE = N_("{station}: temperature by month, °C")
LOW, HIGH = N_("record low"), N_("record high")
MEAN = N_("monthly mean")
SOURCE_LINE = N_("Source: {publisher}, {date}")
_LOCALE = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}
# (fact name, label, colour), drawn in this order; a region shows those it has.
SERIES = (
    ("record_max", HIGH, "#d9480f"),
    ("mean_monthly", MEAN, "#2b8a3e"),
    ("record_min", LOW, "#1864ab"),
)


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    values: tuple[float | None, ...]
    source: str  # "publisher, date"


def lines(lib: Library, region: str, lang: str) -> list[Line]:
    tr, out = Translator(lang), []
    for name, label, colour in SERIES:
        f = lib.facts.get(f"{region}.climate.{name}")
        src = lib.source(f.source) if f else None
        if f is None or src is None or f.kind != "series":
            continue
        when = source_date(src.date, lang)
        out.append(Line(tr.gettext(label), colour, f.value, f"{src.publisher[lang]}, {when}"))
    return out


def caption(lib: Library, region: str, lang: str) -> str:
    tr = Translator(lang)
    station = lib.regions[region].station or lib.regions[region].centre
    credits = dict.fromkeys(line.source for line in lines(lib, region, lang))
    sources = "; ".join(
        tr.gettext(SOURCE_LINE, publisher=c.rsplit(", ", 1)[0], date=c.rsplit(", ", 1)[1])
        for c in credits
    )
    return f"{tr.gettext(TITLE, station=station[lang])}. {sources}"


def chart(lib: Library, region: str, lang: str, folder: Path) -> Path | None:
    """Draw once; the file name carries a hash of the data, so edited data is redrawn."""
    drawn = lines(lib, region, lang)
    if not drawn:
        return None
    data = json.dumps([[ln.values, ln.source, ln.label] for ln in drawn], sort_keys=True)
    digest = hashlib.sha1(f"{data}{lang}".encode()).hexdigest()[:10]
    path = folder / f"climate-{region}-{lang}-{digest}.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    months = [
        get_month_names("abbreviated", context="stand-alone", locale=_LOCALE[lang])[m]
        for m in range(1, 13)
    ]
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt  # 40 MB: loaded when the first chart is drawn, not before

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    x = range(12)
    for ln in drawn:
        ys = [v if v is not None else float("nan") for v in ln.values]
        ax.plot(x, ys, marker="o", color=ln.colour, label=ln.label, linewidth=2)
    ax.axhline(0, color="#868e96", linewidth=0.8)
    ax.set_xticks(list(x), months, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    station = lib.regions[region].station or lib.regions[region].centre
    title = Translator(lang).gettext(TITLE, station=station[lang])
    ax.set_title(textwrap.fill(title, 52), fontsize=11)
    ax.legend(fontsize=10, loc="lower center")
    ax.tick_params(axis="y", labelsize=10)
    credit = "; ".join(dict.fromkeys(ln.source for ln in drawn))
    fig.text(0.01, 0.01, textwrap.shorten(credit, 110), fontsize=9, color="#495057")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path
