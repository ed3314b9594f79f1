"""Choosing and changing the language, and for Kazakh the script it is read in: Cyrillic,
the 2021 Latin alphabet, or the Arabic script (төте жазу) of the kandases from China. Each
choice is named in its own script, so a person who cannot read Cyrillic finds theirs. The
choice is remembered on the contact; replies are transliterated as they are queued."""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.settings import LOCALES
from bot.types import Button
from content.scripts import MARK, SCRIPTS
from handlers.menu import outdated_button, show_menu

router = Router("language")

# Each name stays in its own script whatever script the reader chose (MARK keeps it); the
# three languages keep their numbers 1–3, the two other scripts of Kazakh follow.
LANGUAGE_BUTTONS = [
    Button(f"{MARK}Қазақша{MARK}", "lang:kk"),
    Button(f"{MARK}Русский{MARK}", "lang:ru"),
    Button(f"{MARK}English{MARK}", "lang:en"),
    Button(f"{MARK}Qazaqşa (latyn){MARK}", "lang:kk-latn"),
    Button(f"{MARK}قازاقشا (توتە){MARK}", "lang:kk-arab"),
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
    locale, _, script = ctx.args.partition("-")
    if locale not in LOCALES or script not in ("", *(SCRIPTS if locale == "kk" else ())):
        await outdated_button(ctx)
        return
    ctx.set_locale(locale)
    ctx.contact.script = script if script in ("latn", "arab") else None
    show_menu(ctx, ctx._("Done: I will write in English."))
