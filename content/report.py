"""`qonys content report`: what the facts registry holds per region and topic (how many facts,
the oldest and newest period they describe) and which of a family's main questions still have
no sourced answer in a region, so the content team knows where to look next."""

from __future__ import annotations

from collections import defaultdict

from bot.i18n import Translator
from content import figuresets as fs
from content.model import Library

EXTRA_QUESTIONS = (("house price", ("{region}.housing.house_price", "{region}.housing.price_m2")),)


def _when(period: str) -> str | None:
    return None if period == "unknown" else period.split("/")[-1]


def report(lib: Library) -> str:
    rows: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for key, f in lib.facts.items():
        scope, rest = key.split(".", 1)
        topic = rest.split(".", 1)[0] if "." in rest else "-"
        rows[(scope, topic)].append(_when(f.period))
    out = [
        "# The facts registry: what it holds",
        "",
        "Made by `qonys content report`. Periods are those the figures describe; 'undated'",
        "counts figures whose source gives no year.",
        "",
        "| file | topic | facts | undated | oldest | newest |",
        "|---|---|---:|---:|---|---|",
    ]
    for (scope, topic), periods in sorted(rows.items()):
        dated = sorted(p for p in periods if p)
        undated = len(periods) - len(dated)
        first, last = (dated[0], dated[-1]) if dated else ("—", "—")
        out.append(f"| {scope} | {topic} | {len(periods)} | {undated} | {first} | {last} |")
    en = Translator("en")
    questions = [(en.gettext(m.label), m.keys) for m in fs.COMPARED] + list(EXTRA_QUESTIONS)
    out += [
        "",
        "## Questions without a sourced answer",
        "",
        "| region | no figure yet for |",
        "|---|---|",
    ]
    for region in sorted(lib.regions):
        missing = [
            label
            for label, keys in questions
            if not any(
                any(
                    k == key or k.startswith(key + ".") or k.startswith(key + "_")
                    for k in lib.facts
                )
                for key in (c.format(region=region).split("@")[0] for c in keys)
            )
        ]
        out.append(f"| {region} | {', '.join(missing) or '—'} |")
    return "\n".join(out) + "\n"
