"""Choosing and changing the language. The choice is remembered on the contact."""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.settings import LOCALES
from bot.types import Button
from handlers.menu import outdated_button, show_menu

router = Router("language")

LANGUAGE_BUTTONS = [
    Button("Қазақша", "lang:kk"),
    Button("Русский", "lang:ru"),
    Button("English", "lang:en"),
]


def ask_language(ctx: Context, intro: str | None = None) -> None:
    text = ctx._("Choose a language:")
    ctx.reply(f"{intro}\n\n{text}" if intro else text, LANGUAGE_BUTTONS)


@router.command("language", "lang", "til", "yazyk")
@router.action("language")
async def on_language(ctx: Context) -> None:
    ask_language(ctx)


@router.action("lang")
async def on_choose(ctx: Context) -> None:
    if ctx.args not in LOCALES:
        await outdated_button(ctx)
        return
    ctx.set_locale(ctx.args)
    show_menu(ctx, ctx._("Done: I will write in English."))
