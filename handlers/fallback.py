"""Answers to what the bot does not understand: it says so kindly and shows the way back."""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from handlers.menu import back_to_menu, menu_buttons, outdated_button

router = Router("fallback")

_BY_KIND = {
    "sticker": N_("Thank you for the sticker! I understand text and buttons."),
    "photo": N_("I cannot look at pictures yet. Please describe your question in words."),
    "video": N_("I cannot watch videos yet. Please describe your question in words."),
    "document": N_("I cannot open files yet. Please describe your question in words."),
    "voice": N_("I cannot listen to voice messages yet. Please write your question in words."),
    "audio": N_("I cannot listen to audio yet. Please write your question in words."),
    "contact": N_("Thank you. I do not need a contact card now."),
    "unsupported": N_("I cannot read this kind of message. Please write in words."),
}


@router.fallback
async def on_anything(ctx: Context) -> None:
    kind = ctx.incoming.kind
    if kind == "reaction":
        return  # a 👍 on a message needs no answer; it is kept in the transcript
    if kind == "action":
        await outdated_button(ctx)
    elif kind == "too_long":
        ctx.reply(
            ctx._(
                "Your message is too long for me. Please write it in under {limit} characters.",
                limit=ctx.settings.max_message_chars,
            ),
            back_to_menu(ctx),
        )
    elif kind in _BY_KIND:
        ctx.reply(ctx._(_BY_KIND[kind]), back_to_menu(ctx))
    else:
        ctx.reply(ctx._("I did not understand that. Here is what I can do:"), menu_buttons(ctx))


async def apologise(ctx: Context) -> None:
    ctx.reply(
        ctx._("Sorry, something went wrong on my side. Please try again in a minute."),
        back_to_menu(ctx),
    )
