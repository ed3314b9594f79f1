"""First contact and /start: greeting, language choice, and the acquisition source."""

from __future__ import annotations

import re

from bot.context import Context
from bot.dispatcher import Router
from handlers.language import ask_language
from handlers.menu import show_menu

router = Router("start")

# Telegram deep-link payloads allow A-Z a-z 0-9 _ - and up to 64 characters.
_SOURCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.command("start")
async def on_start(ctx: Context) -> None:
    if ctx.args and _SOURCE.match(ctx.args) and not ctx.contact.source:
        ctx.contact.source = ctx.args  # first touch wins: that is where the person came from
    ctx.set_step(None)
    greeting = ctx._(
        "Hello! I am Qonys, an assistant for people moving to the north of Kazakhstan "
        "and for kandases."
    )
    if ctx.contact.locale is None:
        ask_language(ctx, greeting)
    else:
        show_menu(ctx, greeting)
