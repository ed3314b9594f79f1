"""The standard pre-departure package: regions and their topics, programme-wide sections,
"more", neighbouring topics, and a side-by-side comparison of two regions.

Action ids (short ASCII, Telegram allows 64 bytes):
  regions                 the receiving regions
  r:<region>              a region's overview and its topics
  t:<region>:<topic>      a region's topic; tm:… its detail; t:<region>:<topic>:<place>
                          the same, said for a town of the region ("Екібастұз — …")
  ask:<topic>             a region topic asked without a region: which region?
  cmp:<region>:<topic>    compare with which region?; cmp2:<a>:<b>:<topic> the comparison
  prog                    the programme-wide sections
  p:<topic>               a programme section; pm:<topic> its detail
"""

from __future__ import annotations

import html

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button, Media, Reply
from content.charts import caption, chart
from content.model import PROGRAMME, Entry
from content.package import Package, get_package
from handlers.menu import menu_item, outdated_button

router = Router("package")

menu_item(N_("Regions: what life is like"), "regions", 10)
menu_item(N_("The programme: rules and money"), "prog", 20)
menu_item(N_("How to heat with a stove"), "p:heating", 30)

MORE = N_("More")
REGIONS = N_("Regions")
PROGRAMME_LABEL = N_("Programme")
MENU = N_("Menu")
COMPARE = N_("Compare with another region")
IN_REGION = N_("{place} — {region}. What I know for the region:")


def package() -> Package:
    return get_package()


def region_name(region_id: str, lang: str) -> str:
    return package().lib.regions[region_id].name[lang]


def region_button(region_id: str, lang: str) -> str:
    """The region's name on a button: its short form where the full one does not fit."""
    return package().lib.regions[region_id].short[lang]


def region_buttons(ctx: Context, action: str, skip: str | None = None) -> list[Button]:
    lib = package().lib
    ids = sorted((r for r in lib.regions if r != skip), key=lambda r: region_name(r, ctx.locale))
    return [Button(region_button(r, ctx.locale), action.format(region=r)) for r in ids]


@router.action("regions")
async def on_regions(ctx: Context) -> None:
    ctx.reply(
        ctx._("Which region would you like to know about?"),
        [*region_buttons(ctx, "r:{region}"), Button(ctx._(MENU), "menu")],
    )


@router.action("r")
async def on_region(ctx: Context) -> None:
    if ctx.args not in package().lib.regions:
        await outdated_button(ctx)
        return
    await show_topic(ctx, ctx.args, "overview")


@router.action("t", "tm")
async def on_topic(ctx: Context) -> None:
    """`t:<region>:<topic>`, or `t:<region>:<topic>:<place>` when a town was chosen."""
    region, topic, place = [*ctx.args.split(":"), "", ""][:3]
    lib = package().lib
    known_place = lib.places.places.get(place)
    if lib.entry(f"{region}/{topic}", "kk") is None or (
        place and (known_place is None or known_place.region != region)
    ):
        await outdated_button(ctx)
        return
    part = "more" if ctx.incoming.action and ctx.incoming.action.startswith("tm:") else "short"
    await show_topic(ctx, region, topic, part=part, place=place or None)


@router.action("ask")
async def on_ask_region(ctx: Context) -> None:
    if ctx.args not in package().lib.topics["region"]:
        await outdated_button(ctx)
        return
    ask_region(ctx, ctx.args)


def ask_region(ctx: Context, topic: str) -> None:
    label = package().lib.topics["region"][topic].label[ctx.locale]
    ctx.reply(
        ctx._("{topic}: for which region?", topic=label),
        [*region_buttons(ctx, "t:{region}:" + topic), Button(ctx._(MENU), "menu")],
    )


@router.action("prog")
async def on_programme(ctx: Context) -> None:
    topics = sorted(package().lib.topics["programme"].values(), key=lambda t: t.order)
    ctx.reply(
        ctx._("What would you like to know about the programme?"),
        [*[Button(t.label[ctx.locale], f"p:{t.id}") for t in topics], Button(ctx._(MENU), "menu")],
    )


@router.action("p", "pm")
async def on_programme_topic(ctx: Context) -> None:
    if package().lib.entry(f"{PROGRAMME}/{ctx.args}", "kk") is None:
        await outdated_button(ctx)
        return
    part = "more" if ctx.incoming.action and ctx.incoming.action.startswith("pm:") else "short"
    await show_topic(ctx, None, ctx.args, part=part)


@router.action("cmp")
async def on_compare(ctx: Context) -> None:
    region, _, topic = ctx.args.partition(":")
    spec = package().lib.topics["region"].get(topic)
    if region not in package().lib.regions or not spec or not spec.compare:
        await outdated_button(ctx)
        return
    ctx.reply(
        ctx._("Compare {region} with which region?", region=region_name(region, ctx.locale)),
        region_buttons(ctx, f"cmp2:{region}:{{region}}:{topic}", skip=region),
    )


@router.action("cmp2")
async def on_compare_two(ctx: Context) -> None:
    first, second, topic = [*ctx.args.split(":"), "", "", ""][:3]
    p = package()
    entries = [p.lib.entry(f"{r}/{topic}", ctx.locale) for r in (first, second)]
    if first == second or None in entries:
        await outdated_button(ctx)
        return
    parts = []
    for region, entry in zip((first, second), entries, strict=True):
        assert entry is not None
        name = region_name(region, ctx.locale)
        parts.append(f"▍ {name}\n\n" + p.renderer.render(entry, "short", ctx.fmt))
    buttons = [Button(region_button(r, ctx.locale), f"t:{r}:{topic}") for r in (first, second)] + [
        Button(ctx._(MENU), "menu")
    ]
    ctx.reply("\n\n".join(parts), buttons, formatted=True)


async def show_topic(
    ctx: Context, region: str | None, topic: str, part: str = "short", place: str | None = None
) -> None:
    """A topic's page; `place`, a town the person named, is said first with its region."""
    p = package()
    key = f"{region or PROGRAMME}/{topic}"
    entry = p.lib.entry(key, ctx.locale) or p.lib.entry(key, "kk")
    assert entry is not None
    if region and topic == "climate" and part == "short":
        attach_climate_chart(ctx, region)
    text = p.renderer.render(entry, part, ctx.fmt)
    if part == "short":
        text = f"{_bold(entry.title, ctx.fmt)}\n\n{text}"
    if region and (town := p.lib.places.places.get(place or "")):
        name = region_name(region, ctx.locale)
        where = ctx._(IN_REGION, place=town.name[ctx.locale], region=name)
        text = f"📍 {html.escape(where) if ctx.fmt == 'html' else where}\n\n{text}"
    # A region's overview, however it was reached (its button, its name typed, a question),
    # opens the region: its features and all its topics.
    with_topics = region is not None and topic == "overview" and part == "short"
    ctx.reply(text, topic_buttons(ctx, entry, part, with_topics), formatted=True)


def _bold(text: str, fmt: str) -> str:
    return f"<b>{html.escape(text)}</b>" if fmt == "html" else text


def attach_climate_chart(ctx: Context, region: str) -> None:
    lib = package().lib
    path = chart(lib, region, ctx.locale, ctx.settings.data_dir / "charts")
    if path is None:  # no sourced monthly series for this region
        return
    media = Media(kind="image", path=str(path), caption=caption(lib, region, ctx.locale))
    ctx.replies.append(Reply(text="", media=media))  # the picture goes before the text


# Sections that describe something the bot can do: their first button does it.
FEATURES = {
    "documents": (N_("My documents checklist"), "cl"),
    "status": (N_("Where is my application?"), "st"),
    "appointment": (N_("Book a visit to the centre"), "ap"),
    "caseworker": (N_("Talk to a caseworker"), "hf"),
    # Women and youth were reached least (IOM): their sections offer news written for them.
    "women": (N_("News for me"), "subs"),
    "youth": (N_("News for me"), "subs"),
    "subsidies": (N_("Cost of moving"), "est"),
}
# A region's overview offers its figures beside another region's, and the cost of moving there.
REGION_FEATURES = (
    (N_("Figures side by side"), "cf"),
    (N_("Cost of moving"), "est"),
    (N_("Printable booklet"), "bk"),
)


def topic_buttons(ctx: Context, entry: Entry, part: str, with_topics: bool) -> list[Button]:
    lib = package().lib
    region, topic = entry.region, entry.topic
    buttons: list[Button] = []
    if not region and topic in FEATURES:
        label, action = FEATURES[topic]
        buttons.append(Button(ctx._(label), action))
    if part == "short" and entry.more:
        buttons.append(Button(ctx._(MORE), f"tm:{region}:{topic}" if region else f"pm:{topic}"))
    if with_topics and region:
        buttons += [Button(ctx._(label), f"{action}:{region}") for label, action in REGION_FEATURES]
        others = sorted(lib.topics["region"].values(), key=lambda t: t.order)
        buttons += [
            Button(t.label[ctx.locale], f"t:{region}:{t.id}") for t in others if t.id != topic
        ]
    else:
        for ref in [*lib.topic(topic, region).next, *entry.related]:  # type: ignore[union-attr]
            buttons.append(_link(ctx, ref, region))
    spec = lib.topic(topic, region)
    if region and spec and spec.compare:
        buttons.append(Button(ctx._(COMPARE), f"cmp:{region}:{topic}"))
    buttons.append(
        Button(ctx._(REGIONS), "regions") if region else Button(ctx._(PROGRAMME_LABEL), "prog")
    )
    buttons.append(Button(ctx._(MENU), "menu"))
    return _unique(buttons)


def _link(ctx: Context, ref: str, region: str | None) -> Button:
    lib = package().lib
    if ref.startswith(f"{PROGRAMME}/"):
        topic = ref.split("/", 1)[1]
        return Button(lib.topics["programme"][topic].label[ctx.locale], f"p:{topic}")
    if region and ref in lib.topics["region"]:
        return Button(lib.topics["region"][ref].label[ctx.locale], f"t:{region}:{ref}")
    if ref in lib.topics["programme"]:
        return Button(lib.topics["programme"][ref].label[ctx.locale], f"p:{ref}")
    return Button(lib.topics["region"][ref].label[ctx.locale], f"ask:{ref}")


def _unique(buttons: list[Button]) -> list[Button]:
    seen: set[str] = set()
    return [b for b in buttons if not (b.action in seen or seen.add(b.action))]  # type: ignore[func-returns-value]
