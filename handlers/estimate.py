"""What moving will cost: for the household in the profile (or the one the person types in)
and a receiving region, what the programme pays, what the first year typically costs there,
and the gap to plan for. Every line shows its inputs and their sources, and the whole is
labelled an estimate, not a promise. It can go to a caseworker (the handoff shares the last
messages, this one included).

Action ids: `est` (which region?), `est:<region>` (the profile's household, or which one?),
`estn:<region>` (another household), `esta:<region>:<adults>` (how many children?),
`esth:<region>:<adults>:<children>` (the estimate).
"""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_, Translator
from bot.types import Button
from content import estimate as est
from content import figuresets as fs
from content.render import format_text, marks_to_citations, number_text
from handlers.handoff import TALK
from handlers.menu import outdated_button
from handlers.package import MENU, package, region_buttons, region_name
from storage.models import Profile

router = Router("estimate")

ESTIMATE = N_("Cost of moving")
WHERE = N_("Which region are you moving to?")
ADULTS = N_("How many adults (18 and over) will move, you included?")
CHILDREN = N_("And how many children?")
TITLE = N_("Moving to {region}: an estimate for your household")
NOT_A_PROMISE = N_(
    "This is an estimate, not a promise: the programme's amounts are those the law sets for "
    "{year}; prices come from the dated sources below."
)
PAID = N_("What the programme pays")
RELOCATION = N_("Relocation subsidy: {per} × {people} = {total}")
RENT_SUBSIDY = N_(
    "Rent and utilities subsidy for 12 months: {per} a month; the amount depends on the "
    "family's size and on town or village = {total}"
)
COSTS = N_("The first year there, from the figures we have")
RENT = N_("Rent of a {rooms}-room flat: {per} × 12 months = {total}")
COAL = N_("Coal for the first winter: {tonnes} t × {price} = {total}")
NO_RENT = N_("Rent: no dated price for a flat of this size here; check krisha.kz and olx.kz.")
NO_COAL = N_(
    "Coal: no price found for this region (or the homes use gas); ask the akimat and sellers."
)
TOTAL = N_("Total: {total}")
GAP = N_("The gap to plan for: {gap}")
COVERED = N_("The payments cover these costs: {gap} may be left over.")
CLOTHES = N_(
    "Also budget for warm winter clothes and boots for everyone, and for the first month "
    "before the payments arrive: no source gives prices for these."
)
CERTIFICATE = N_(
    "To buy a home, the economic mobility certificate pays half of the price, at most {cap} "
    "per family."
)
CHANGE = N_("Another household")
FIGURES = N_("Figures side by side")


@router.command("estimate")
@router.action("est")
async def on_estimate(ctx: Context) -> None:
    regions = package().lib.regions
    if ctx.args and ctx.args not in regions:
        await outdated_button(ctx)
        return
    region = ctx.args or await _destination(ctx)
    if region is None:
        ctx.reply(ctx._(WHERE), [*region_buttons(ctx, "est:{region}"), Button(ctx._(MENU), "menu")])
        return
    if household := await _household(ctx):
        show(ctx, region, *household)
        return
    ask_adults(ctx, region)


@router.action("estn")
async def on_other_household(ctx: Context) -> None:
    if ctx.args not in package().lib.regions:
        await outdated_button(ctx)
        return
    ask_adults(ctx, ctx.args)


def ask_adults(ctx: Context, region: str) -> None:
    ctx.reply(ctx._(ADULTS), [Button(str(n), f"esta:{region}:{n}") for n in range(1, 7)])


@router.action("esta")
async def on_adults(ctx: Context) -> None:
    region, adults = _parse(ctx.args, 2)
    if region is None:
        await outdated_button(ctx)
        return
    ctx.reply(ctx._(CHILDREN), [Button(str(n), f"esth:{region}:{adults}:{n}") for n in range(0, 9)])


@router.action("esth")
async def on_household(ctx: Context) -> None:
    region, adults, children = _parse(ctx.args, 3)
    if region is None:
        await outdated_button(ctx)
        return
    show(ctx, region, adults, children)


def _parse(args: str, parts: int) -> tuple:  # type: ignore[type-arg]
    """`region:adults[:children]` from a button, each number within what the buttons offer."""
    fields = args.split(":")
    numbers = [int(f) if f.isdigit() and len(f) < 3 else -1 for f in fields[1:]]
    ok = (
        len(fields) == parts
        and fields[0] in package().lib.regions
        and 1 <= numbers[0] <= 6
        and all(0 <= n <= 8 for n in numbers[1:])
    )
    return (fields[0], *numbers) if ok else (None,) * parts


async def _destination(ctx: Context) -> str | None:
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile and profile.destination in package().lib.regions:
        return profile.destination
    return None


async def _household(ctx: Context) -> tuple[int, int] | None:
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile and profile.adults and profile.children is not None:
        return min(profile.adults, 6), min(profile.children, 8)
    return None


def show(ctx: Context, region: str, adults: int, children: int) -> None:
    buttons = [
        Button(ctx._(TALK), "hf"),
        Button(ctx._(CHANGE), f"estn:{region}"),
        Button(ctx._(FIGURES), f"cf:{region}"),
        Button(ctx._(MENU), "menu"),
    ]
    ctx.reply(render(ctx.locale, region, adults, children, ctx.fmt), buttons, formatted=True)


def render(lang: str, region: str, adults: int, children: int, fmt: str = "plain") -> str:
    p = package()
    lib, r, tr = p.lib, p.renderer, Translator(lang)
    e = est.estimate(lib, region, adults, children, r.year)

    def money(value: float) -> str:
        return f"{number_text(round(value), lang)} ₸"

    def span(line: est.Line) -> str:
        if round(line.low) == round(line.high):
            return money(line.low)
        return f"{number_text(round(line.low), lang)}–{money(line.high)}"

    def marks(line: est.Line) -> str:
        sources = [lib.facts[k].source for k in line.inputs]
        if any(lib.facts[k].unit == "MCI" for k in line.inputs):
            sources.append(lib.mci[e.year][1])  # the tenge of the year
        return "".join(f"\ue000{s}\ue001" for s in sources)

    title = tr.gettext(TITLE, region=region_name(region, lang))
    adults = tr.ngettext("{count} adult", "{count} adults", e.adults, count=e.adults)
    children = tr.ngettext("{count} child", "{count} children", e.children, count=e.children)
    who = f"{adults}, {children}"
    parts = [f"**{title}** ({who})", tr.gettext(NOT_A_PROMISE, year=e.year)]
    relocation, rent_subsidy = e.paid
    people = tr.ngettext("{count} person", "{count} people", e.people, count=e.people)
    per = r.show(fs.RELOCATION, lang)
    paid = [f"**{tr.gettext(PAID)}**"]
    paid.append(
        "- "
        + tr.gettext(RELOCATION, per=per, people=people, total=span(relocation))
        + marks(relocation)
    )
    per = r.show(fs.RENT_SUBSIDY, lang)
    paid.append(
        "- " + tr.gettext(RENT_SUBSIDY, per=per, total=span(rent_subsidy)) + marks(rent_subsidy)
    )
    paid.append(tr.gettext(TOTAL, total=_sum(e.paid, lang)))
    parts.append("\n".join(paid))
    costs = [f"**{tr.gettext(COSTS)}**"]
    for line in e.costs:
        if line.id == "rent":
            per = r.show(line.inputs[0], lang, unit=True, when=True)
            text = tr.gettext(RENT, rooms=e.rooms, per=per, total=span(line))
        else:
            tonnes = [lib.facts[k].value for k in line.inputs[1:]]
            low, high = min(tonnes), max(tonnes)  # type: ignore[type-var]
            price = r.show(line.inputs[0], lang, unit=True, when=True)
            text = tr.gettext(COAL, tonnes=number_text((low, high), lang), price=price,
                              total=span(line))  # fmt: skip
        costs.append(f"- {text}{marks(line)}")
    unknown = {"rent": NO_RENT, "coal": NO_COAL}
    for missing in e.missing:
        costs.append("- " + tr.gettext(unknown[missing]))
    if e.costs:
        costs.append(tr.gettext(TOTAL, total=_sum(e.costs, lang)))
    parts.append("\n".join(costs))
    if (gap := e.gap) is not None:
        low, high = gap
        if high <= 0:
            parts.append("**" + tr.gettext(COVERED, gap=_range(-high, -low, lang)) + "**")
        else:
            parts.append("**" + tr.gettext(GAP, gap=_range(max(low, 0), high, lang)) + "**")
    parts.append(tr.gettext(CLOTHES))
    assert e.certificate is not None
    parts.append(tr.gettext(CERTIFICATE, cap=r.show(fs.CERTIFICATE, lang)) + marks(e.certificate))
    text, footer = r.cite(marks_to_citations("\n\n".join(parts)), lang)
    return format_text(text, fmt) + "\n\n" + format_text(footer, fmt)


def _sum(lines: list[est.Line], lang: str) -> str:
    return _range(sum(x.low for x in lines), sum(x.high for x in lines), lang)


def _range(low: float, high: float, lang: str) -> str:
    if round(low) == round(high):
        return f"{number_text(round(low), lang)} ₸"
    return f"{number_text(round(low), lang)}–{number_text(round(high), lang)} ₸"
