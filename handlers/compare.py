"""Two regions side by side on the figures a family decides on: rent, wages, rent as a share
of the wage, January, the heating season, coal, gas; the programme's payments once, since they
are the same everywhere. Every figure with its period and source, on one phone screen.

Action ids: `cf:<region>` asks which region to compare with, `cf2:<a>:<b>` shows the two.
"""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_, Translator
from bot.types import Button
from content import figuresets as fs
from content.render import format_text, marks_to_citations, number_text
from handlers.menu import outdated_button
from handlers.package import MENU, package, region_button, region_buttons, region_name

router = Router("compare")

FIGURES = N_("Figures side by side")
WITH_WHICH = N_("Compare {region} with which region?")
NOT_FOUND = N_("no dated figure found")
SHARE = N_("Rent of a two-room flat as a share of the wage")
SHARE_LINE = N_("{share}% (my arithmetic from the two figures above)")
SAME = N_("The same in every region:")
COST = N_("Cost of moving")


@router.action("cf")
async def on_compare(ctx: Context) -> None:
    region = ctx.args
    if region not in package().lib.regions:
        await outdated_button(ctx)
        return
    ctx.reply(
        ctx._(WITH_WHICH, region=region_name(region, ctx.locale)),
        region_buttons(ctx, f"cf2:{region}:{{region}}", skip=region),
    )


@router.action("cf2")
async def on_compare_two(ctx: Context) -> None:
    first, _, second = ctx.args.partition(":")
    regions = package().lib.regions
    if first not in regions or second not in regions or first == second:
        await outdated_button(ctx)
        return
    ctx.reply(comparison(ctx.locale, first, second, ctx.fmt), buttons(ctx, first, second),
              formatted=True)  # fmt: skip


def buttons(ctx: Context, first: str, second: str) -> list[Button]:
    return [
        *(Button(region_button(r, ctx.locale), f"r:{r}") for r in (first, second)),
        Button(ctx._(COST), f"est:{first}"),
        Button(ctx._(MENU), "menu"),
    ]


def comparison(lang: str, first: str, second: str, fmt: str = "plain") -> str:
    p = package()
    r, tr = p.renderer, Translator(lang)
    names = {x: region_name(x, lang) for x in (first, second)}
    parts = [f"**{names[first]} · {names[second]}**"]
    shown: dict[str, dict[str, str | None]] = {}
    for metric in fs.COMPARED:
        lines = [f"**{tr.gettext(metric.label)}**"]
        for region in (first, second):
            key = _key(metric.keys, region)
            shown.setdefault(metric.id, {})[region] = key
            value = _value(key, lang, len(metric.keys) > 1) if key else tr.gettext(NOT_FOUND)
            lines.append(f"{names[region]}: {value}")
        parts.append("\n".join(lines))
        if metric.id == "wage":
            parts.append(_share(shown, first, second, names, lang))
    same = [tr.gettext(SAME)]
    same += [f"- {r.line(key, lang)}" for key in fs.NATIONAL]
    parts.append("\n".join(same))
    text, footer = r.cite(marks_to_citations("\n\n".join(parts)), lang)
    return format_text(text, fmt) + "\n\n" + format_text(footer, fmt)


def _key(keys: tuple[str, ...], region: str) -> str | None:
    """The first candidate the region has; `…@1` picks a month of a series."""
    lib = package().lib
    for candidate in keys:
        key, _, month = candidate.format(region=region).partition("@")
        if key in lib.facts:
            return f"{key}@{month}" if month else key
    return None


def _value(key: str, lang: str, detail: bool) -> str:
    r = package().renderer
    key, _, month = key.partition("@")
    f = r.lib.facts[key]
    if month:
        text = r.show(key, lang, unit=True, month=int(month), mark=True)
        label = (f.label or {}).get(lang)
        return f"{text} ({label})" if label else text
    shown = r.show(key, lang, unit=True, when=True, mark=True)
    label = (f.label or {}).get(lang, "") if detail else ""
    return f"{shown} — {label}" if label else shown


def _share(
    shown: dict[str, dict[str, str | None]],
    first: str,
    second: str,
    names: dict[str, str],
    lang: str,
) -> str:
    tr = Translator(lang)
    lines = [f"**{tr.gettext(SHARE)}**"]
    facts = package().lib.facts
    for region in (first, second):
        rent, wage = shown["rent"].get(region), shown["wage"].get(region)
        if rent and wage:
            share = 100 * _mid(facts[rent].value) / _mid(facts[wage.split("@")[0]].value)
            value = tr.gettext(SHARE_LINE, share=number_text(round(share), lang))
        else:
            value = tr.gettext(NOT_FOUND)
        lines.append(f"{names[region]}: {value}")
    return "\n".join(lines)


def _mid(value: object) -> float:
    if isinstance(value, tuple):
        return (float(value[0]) + float(value[1])) / 2  # type: ignore[arg-type]
    return float(value)  # type: ignore[arg-type]
