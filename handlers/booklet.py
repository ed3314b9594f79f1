"""A region's printable booklet, sent as a PDF in the chat: the same pages and figures as the
bot, dated, with sources and a QR code back to it, to print or pass on to relatives.

Action id: `bk:<region>`.
"""

from __future__ import annotations

from bot import booklets
from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button, Media
from handlers.menu import outdated_button
from handlers.package import MENU, package, region_name

router = Router("booklet")

BOOKLET = N_("Printable booklet")
SENT = N_("{region}: the whole package on paper. Print it or pass it on.")


@router.action("bk")
async def on_booklet(ctx: Context) -> None:
    region = ctx.args
    if region not in package().lib.regions:
        await outdated_button(ctx)
        return
    path = await booklets.get(ctx.settings, region, ctx.locale, "A4")
    name = region_name(region, ctx.locale)
    ctx.reply(
        ctx._(SENT, region=name),
        [Button(name, f"r:{region}"), Button(ctx._(MENU), "menu")],
        Media("document", path=str(path), caption=ctx._(BOOKLET)),
    )
