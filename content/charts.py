"""Climate charts: a PNG per region and language, drawn from the sourced monthly values in
region.yaml and labelled exactly as what they are (records are not averages)."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

from babel.dates import get_month_names

from bot.i18n import N_, Translator
from content.model import Region, Source

TITLE_RECORDS = N_("{station}: record low and high temperature by month, °C")
TITLE_MEANS = N_("{station}: mean temperature by month, °C")
LOW, HIGH = N_("record low"), N_("record high")
SOURCE_LINE = N_("Source: {publisher}, {date}")
_LOCALE = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}


def caption(region: Region, source: Source, lang: str) -> str:
    tr = Translator(lang)
    c = region.climate
    assert c is not None
    title = TITLE_RECORDS if c.kind == "records" else TITLE_MEANS
    date = ".".join(reversed(source.date.split("-")))
    station = c.station[lang]
    credit = tr.gettext(SOURCE_LINE, publisher=source.publisher[lang], date=date)
    return f"{tr.gettext(title, station=station)}. {credit}"


def chart(region: Region, source: Source, lang: str, folder: Path) -> Path:
    """Draw once; the file name carries a hash of the data, so edited data is redrawn."""
    c = region.climate
    assert c is not None
    data = json.dumps([c.kind, c.min, c.max, lang, source.date], sort_keys=True).encode()
    path = folder / f"climate-{region.id}-{lang}-{hashlib.sha1(data).hexdigest()[:10]}.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    tr = Translator(lang)
    months = [
        get_month_names("abbreviated", context="stand-alone", locale=_LOCALE[lang])[m]
        for m in range(1, 13)
    ]
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt  # 40 MB: loaded when the first chart is drawn, not before

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    x = range(12)
    for values, label, colour in ((c.max, HIGH, "#d9480f"), (c.min, LOW, "#1864ab")):
        ys = [v if v is not None else float("nan") for v in values]
        ax.plot(x, ys, marker="o", color=colour, label=tr.gettext(label), linewidth=2)
    ax.axhline(0, color="#868e96", linewidth=0.8)
    ax.set_xticks(list(x), months, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    title = TITLE_RECORDS if c.kind == "records" else TITLE_MEANS
    ax.set_title(
        textwrap.fill(tr.gettext(title, station=c.station[lang]), 52),
        fontsize=11,
    )
    ax.legend(fontsize=10, loc="lower center")
    ax.tick_params(axis="y", labelsize=10)
    fig.text(
        0.01,
        0.01,
        tr.gettext(
            SOURCE_LINE,
            publisher=source.publisher[lang],
            date=".".join(reversed(source.date.split("-"))),
        ),
        fontsize=9,
        color="#495057",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path
