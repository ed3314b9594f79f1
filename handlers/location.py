"""A location pin (Telegram, WhatsApp): the nearest settlement and its region, found offline
in the gazetteer. The point itself is neither kept nor logged; only the place's id rides on
the buttons."""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button
from content.places import NEAR_KM
from content.questionnaire import get_questionnaires
from handlers.menu import outdated_button
from handlers.package import MENU, package, region_buttons, region_name, show_topic

router = Router("location")

NEAR = N_("You are near {place}, {region}. Is that where you live or where you are going?")
NEAR_SOUTH = N_("You are near {place}, {region}. Which region are you thinking of moving to?")
NOWHERE = N_("I do not know a town near this point. Which region would you like to know about?")
LIVE_HERE = N_("I live here")  # WhatsApp buttons: at most 20 characters
GOING_THERE = N_("I am moving there")


@router.message("location")
async def on_location(ctx: Context) -> None:
    lib = package().lib
    found = lib.places.nearest(*ctx.incoming.location) if ctx.incoming.location else None
    if found is None or found[1] > NEAR_KM:
        ctx.reply(ctx._(NOWHERE), [*region_buttons(ctx, "r:{region}"), Button(ctx._(MENU), "menu")])
        return
    place, _km = found
    name = place.name[ctx.locale]
    if place.region in lib.regions:
        ctx.reply(
            ctx._(NEAR, place=name, region=region_name(place.region, ctx.locale)),
            [
                Button(ctx._(LIVE_HERE), f"loc:live:{place.id}"),
                Button(ctx._(GOING_THERE), f"loc:go:{place.id}"),
                Button(ctx._(MENU), "menu"),
            ],
        )
        return
    ctx.reply(
        ctx._(NEAR_SOUTH, place=name, region=_other_region(place.region, ctx.locale)),
        [*region_buttons(ctx, "r:{region}"), Button(ctx._(MENU), "menu")],
    )


@router.action("loc")
async def on_where_to(ctx: Context) -> None:
    """Going there: the region's overview; living there: its contacts (who helps locally)."""
    how, _, pid = ctx.args.partition(":")
    place = package().lib.places.places.get(pid)
    if how not in ("live", "go") or place is None or place.region not in package().lib.regions:
        await outdated_button(ctx)
        return
    topic = "contacts" if how == "live" else "overview"
    await show_topic(ctx, place.region, topic, place=place.id)


def _other_region(region: str, lang: str) -> str:
    """A sending region's name is in the questionnaire's list of where people come from;
    Astana's and Almaty's in the gazetteer."""
    for origin in get_questionnaires().places.get("sending_regions", []):
        if origin.id == region:
            return str(getattr(origin.name, lang))
    return package().lib.places.region_names.get(region, {}).get(lang, region)
